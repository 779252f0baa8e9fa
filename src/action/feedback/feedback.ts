// Feedback where students and instructors look, in this order: the previous grade is read from
// the sticky comment first, so that the job summary and the new comment can both show the change;
// then the job summary, the annotations, the comments and the check run. Each job is its own file.
import type { GitHubClient } from '../../github/client';
import type { GitHubContext } from '../../github/context';
import { annotationsOf } from '../../report/annotations';
import type { GradeReport } from '../../report/model';
import type { ActionDeps } from '../core';
import type { Inputs } from '../inputs';
import { annotateStep } from './annotations';
import { createCheckRun } from './check-run';
import { gitHubFor } from './github';
import { changeSince, previousComment } from './grade-change';
import { readStickyComments, type StickyComments, writeStickyComments } from './sticky-comment';
import { writeJobSummary } from './summary';
import { type FeedbackTarget, problemReporter } from './target';

export async function feedback(
  report: GradeReport,
  inputs: Inputs,
  context: GitHubContext,
  deps: Pick<ActionDeps, 'core' | 'connectGitHub'>,
  target: FeedbackTarget,
  existingClient?: GitHubClient,
): Promise<void> {
  const { core } = deps;
  const problem = problemReporter(core, target.strict);
  const wantsComment = inputs.comment !== 'off' && target.pullRequests.length > 0;
  const wantsCheckRun = target.annotations === 'check-run';
  const github = await gitHubFor(wantsComment || wantsCheckRun, inputs.token, context, deps, existingClient);

  const comments: StickyComments | undefined =
    wantsComment && github !== undefined
      ? await readStickyComments(github, target.pullRequests, inputs, core, problem)
      : undefined;
  const previous =
    comments === undefined ? undefined : previousComment(comments.existing, target.pullRequests);
  await writeJobSummary(core, report, changeSince(report, previous), target.runUrl);

  const annotations = annotationsOf(report, target.paths);
  if (target.annotations === 'commands') annotateStep(core, annotations);

  if (github !== undefined && comments?.complete === true) {
    await writeStickyComments(github, report, comments.existing, target, inputs, core, problem);
  }
  if (github !== undefined && wantsCheckRun) {
    await createCheckRun(github, report, annotations, target, inputs.checkName, core, problem);
  }
}
