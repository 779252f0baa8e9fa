// Which open pull request a commit is the head of, asked of the API: in the publish mode the
// artifact's own claim is never believed.
import type { GitHubClient } from './client';
import type { Repository } from './context';

export interface HeadRef {
  /** Owner of the repository the branch is in (a fork's owner for a fork's pull request). */
  owner: string;
  branch: string;
}

interface PullSummary {
  number: number;
  state: string;
  head: { sha: string };
  base: { repo: { full_name: string } };
}

/**
 * Open pull requests of `repository` whose head is exactly `sha`, lowest number first.
 *
 * "List pull requests associated with a commit" is asked first. It is known to miss pull requests
 * from forks (the commit lives in the fork), so when it finds nothing and the head branch is
 * known (from the workflow_run event), the open pull requests of `owner:branch` are listed too.
 */
export async function pullRequestsForCommit(
  client: GitHubClient,
  repository: Repository,
  sha: string,
  head?: HeadRef,
): Promise<number[]> {
  const matching = (pulls: PullSummary[]): number[] =>
    pulls
      .filter(
        (pull) =>
          pull.state === 'open' &&
          pull.head.sha === sha &&
          pull.base.repo.full_name.toLowerCase() === `${repository.owner}/${repository.repo}`.toLowerCase(),
      )
      .map((pull) => pull.number)
      .sort((a, b) => a - b);

  const { data: associated } = await client.rest.repos.listPullRequestsAssociatedWithCommit({
    ...repository,
    commit_sha: sha,
    per_page: 100,
  });
  const found = matching(associated);
  if (found.length > 0 || head === undefined) return found;
  const { data: byBranch } = await client.rest.pulls.list({
    ...repository,
    state: 'open',
    head: `${head.owner}:${head.branch}`,
    per_page: 100,
  });
  return matching(byBranch);
}
