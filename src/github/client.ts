// The one place an octokit is made. Every request gets its own deadline: a hung API call must
// not hold the job (and the runner) until the workflow's timeout.
import type { getOctokit } from '@actions/github';

export type GitHubClient = ReturnType<typeof getOctokit>;

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Octokit is loaded here, on the first client, not at the action's start: a run with no token,
 * comments off or nothing to publish never pays for it (issue 9, a quick start).
 */
export async function createClient(
  token: string,
  apiUrl: string,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<GitHubClient> {
  const { getOctokit } = await import('@actions/github');
  const client = getOctokit(token, { baseUrl: apiUrl });
  // A `before` hook edits the options the request is sent with. (Re-issuing the request from a
  // `wrap` hook would go through octokit's hook chain again and lose the signal.)
  client.hook.before('request', (options) => {
    options.request = { ...options.request, signal: AbortSignal.timeout(timeoutMs) };
  });
  return client;
}

/** The HTTP status of a failed request, if the failure was an HTTP answer. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  return typeof error.status === 'number' ? error.status : undefined;
}
