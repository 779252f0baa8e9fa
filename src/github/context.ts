// What the workflow run tells us about where we are: the repository, the pull request and the
// commit being graded, the run's URL. Read from the runner's environment and event file (both
// written by GitHub, not by the student), and checked for shape before use.
import { readFile } from 'node:fs/promises';

export interface Repository {
  owner: string;
  repo: string;
}

export interface WorkflowRunEvent {
  id: number;
  /** The commit the triggering workflow ran on: for a pull request, the PR's head commit. */
  headSha: string;
  headBranch?: string;
  /** Owner of the repository the head commit lives in (a fork's owner for a fork's PR). */
  headOwner?: string;
  htmlUrl?: string;
  /** The event that triggered the graded run, e.g. `pull_request`. */
  event?: string;
}

export interface GitHubContext {
  repository?: Repository;
  eventName: string;
  /** GITHUB_SHA: for `pull_request` events this is a merge commit, not the PR's head. */
  sha?: string;
  /** The pull request of a `pull_request` / `pull_request_target` event. */
  pullRequest?: { number: number; headSha: string };
  workflowRun?: WorkflowRunEvent;
  runUrl?: string;
  workspace: string;
  apiUrl: string;
}

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;
// Event payloads are small; a huge file means something is wrong, not a bigger pull request.
const MAX_EVENT_BYTES = 25 * 1024 * 1024;

export async function readContext(env: NodeJS.ProcessEnv = process.env): Promise<GitHubContext> {
  const event = await readEvent(env.GITHUB_EVENT_PATH);
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  const context: GitHubContext = {
    eventName,
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
  };
  const repository = parseRepository(env.GITHUB_REPOSITORY);
  if (repository !== undefined) context.repository = repository;
  if (env.GITHUB_SHA !== undefined && SHA.test(env.GITHUB_SHA)) context.sha = env.GITHUB_SHA;
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  if (repository !== undefined && env.GITHUB_RUN_ID !== undefined && /^\d+$/.test(env.GITHUB_RUN_ID)) {
    context.runUrl = `${server}/${repository.owner}/${repository.repo}/actions/runs/${env.GITHUB_RUN_ID}`;
  }
  const pullRequest = record(event.pull_request);
  const head = record(pullRequest?.head);
  if (
    (eventName === 'pull_request' || eventName === 'pull_request_target') &&
    isPositiveInteger(pullRequest?.number) &&
    typeof head?.sha === 'string' &&
    SHA.test(head.sha)
  ) {
    context.pullRequest = { number: pullRequest.number, headSha: head.sha };
  }
  const run = record(event.workflow_run);
  if (eventName === 'workflow_run' && isPositiveInteger(run?.id) && typeof run.head_sha === 'string') {
    if (SHA.test(run.head_sha)) {
      const workflowRun: WorkflowRunEvent = { id: run.id, headSha: run.head_sha };
      if (typeof run.head_branch === 'string') workflowRun.headBranch = run.head_branch;
      const owner = record(record(run.head_repository)?.owner)?.login;
      if (typeof owner === 'string' && NAME.test(owner)) workflowRun.headOwner = owner;
      if (typeof run.html_url === 'string') workflowRun.htmlUrl = run.html_url;
      if (typeof run.event === 'string') workflowRun.event = run.event;
      context.workflowRun = workflowRun;
    }
  }
  return context;
}

export function parseRepository(value: string | undefined): Repository | undefined {
  const [owner, repo, ...rest] = (value ?? '').split('/');
  if (owner === undefined || repo === undefined || rest.length > 0) return undefined;
  const valid = (name: string): boolean => NAME.test(name) && name !== '.' && name !== '..';
  return valid(owner) && valid(repo) ? { owner, repo } : undefined;
}

export function isCommitSha(value: unknown): value is string {
  return typeof value === 'string' && SHA.test(value);
}

async function readEvent(file: string | undefined): Promise<Record<string, unknown>> {
  if (!file) return {};
  try {
    const text = await readFile(file, 'utf8');
    if (text.length > MAX_EVENT_BYTES) return {};
    return record(JSON.parse(text)) ?? {};
  } catch {
    return {};
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
