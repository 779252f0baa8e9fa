// The sticky pull request comment: the one this token wrote is found on each pull request first
// (it carries the previous grade), then written anew or created.
import { findStickyComment, type StickyComment, writeStickyComment } from '../../github/comment';
import { commentAuthor } from '../../github/identity';
import { renderComment } from '../../report/comment';
import type { GradeReport } from '../../report/model';
import type { ActionCore } from '../core';
import type { Inputs } from '../inputs';
import type { GitHubRepository } from './github';
import { changeSince } from './grade-change';
import type { FeedbackTarget, ProblemReporter } from './target';

export interface StickyComments {
  /** Each pull request's comment, as far as it was read. */
  existing: Map<number, StickyComment | undefined>;
  /**
   * Every pull request's comments were read. Without the list, a new comment could duplicate the
   * sticky one: then none is written.
   */
  complete: boolean;
}

export async function readStickyComments(
  github: GitHubRepository,
  pullRequests: number[],
  inputs: Pick<Inputs, 'commentAuthor' | 'commentKey'>,
  core: ActionCore,
  problem: ProblemReporter,
): Promise<StickyComments> {
  const comments: StickyComments = { existing: new Map(), complete: false };
  try {
    const author = await commentAuthor(github.client, inputs.commentAuthor);
    core.info(`sticky comment author: ${author.login} (${author.source})`);
    for (const number of pullRequests) {
      comments.existing.set(
        number,
        await findStickyComment(github.client, github.repository, number, inputs.commentKey, author.login),
      );
    }
    comments.complete = true;
  } catch (error) {
    problem('could not read the pull request comments', error);
  }
  return comments;
}

export async function writeStickyComments(
  github: GitHubRepository,
  report: GradeReport,
  existing: StickyComments['existing'],
  target: Pick<FeedbackTarget, 'pullRequests' | 'runUrl' | 'headSha'>,
  inputs: Pick<Inputs, 'comment' | 'commentKey'>,
  core: ActionCore,
  problem: ProblemReporter,
): Promise<void> {
  for (const number of target.pullRequests) {
    const current = existing.get(number);
    if (!shouldComment(inputs.comment, report, current)) {
      core.info(`#${number}: every check passed and comment is on-failure: no comment`);
      continue;
    }
    const body = renderComment(report, {
      key: inputs.commentKey,
      change: changeSince(report, current),
      runUrl: target.runUrl,
      sha: target.headSha,
    });
    try {
      const written = await writeStickyComment(github.client, github.repository, number, current, body);
      core.info(`#${number}: comment ${written.action}: ${written.url}`);
    } catch (error) {
      problem(`could not comment on pull request #${number}`, error);
    }
  }
}

// `on-failure` creates no comment for a pass, but an existing one is still updated: it must not
// go on showing a failure that has since been fixed.
function shouldComment(
  mode: Inputs['comment'],
  report: GradeReport,
  existing: StickyComment | undefined,
): boolean {
  return mode === 'always' || !report.passed || existing !== undefined;
}
