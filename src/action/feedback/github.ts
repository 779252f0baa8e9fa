// The GitHub client feedback writes with: the publish job's own, or one made from the token.
import type { GitHubClient } from '../../github/client';
import type { GitHubContext, Repository } from '../../github/context';
import type { ActionDeps } from '../core';

/** A client and the repository it writes to. */
export interface GitHubRepository {
  client: GitHubClient;
  repository: Repository;
}

/**
 * The client, when a comment or check run is `wanted` and there is a repository to write to;
 * made from `token` unless the caller has one (`existing`).
 */
export async function gitHubFor(
  wanted: boolean,
  token: string,
  context: GitHubContext,
  deps: Pick<ActionDeps, 'core' | 'connectGitHub'>,
  existing: GitHubClient | undefined,
): Promise<GitHubRepository | undefined> {
  const repository = context.repository;
  if (existing !== undefined) return repository === undefined ? undefined : { client: existing, repository };
  if (!wanted) return undefined;
  if (token === '' || repository === undefined) {
    deps.core.info('no github-token or repository: no pull request comment or check run');
    return undefined;
  }
  return { client: await deps.connectGitHub(token, context.apiUrl), repository };
}
