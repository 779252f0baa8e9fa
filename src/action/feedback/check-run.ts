// The check run on the graded commit, carrying every annotation.
import {
  type CheckRunPublished,
  type CheckRunRequest,
  type Conclusion,
  publishCheckRun,
} from '../../github/check-run';
import type { Annotation } from '../../report/annotations';
import { COMMENT_MAX_CHARS, renderMarkdown } from '../../report/markdown';
import { type GradeReport, hasInfraError } from '../../report/model';
import type { ActionCore } from '../core';
import type { GitHubRepository } from './github';
import type { FeedbackTarget, ProblemReporter } from './target';

export async function createCheckRun(
  github: GitHubRepository,
  report: GradeReport,
  annotations: Annotation[],
  target: Pick<FeedbackTarget, 'headSha' | 'runUrl' | 'trustedGrade'>,
  checkName: string,
  core: ActionCore,
  problem: ProblemReporter,
): Promise<void> {
  if (target.headSha === undefined) {
    core.info('no commit to attach a check run to');
    return;
  }
  try {
    const published = await publishCheckRun(
      github.client,
      github.repository,
      checkRunRequest(report, annotations, { ...target, headSha: target.headSha }, checkName),
    );
    logCheckRun(core, published);
  } catch (error) {
    problem('could not create the check run', error);
  }
}

function checkRunRequest(
  report: GradeReport,
  annotations: Annotation[],
  target: Pick<FeedbackTarget, 'runUrl' | 'trustedGrade'> & { headSha: string },
  checkName: string,
): CheckRunRequest {
  const conclusion: Conclusion = !target.trustedGrade ? 'neutral' : report.passed ? 'success' : 'failure';
  const verdict = report.passed ? 'passed' : hasInfraError(report) ? 'grading error' : 'not passed';
  return {
    name: checkName,
    headSha: target.headSha,
    conclusion,
    title: `${report.score}/${report.maxScore} points: ${verdict}`,
    summary: renderMarkdown(report, { maxChars: COMMENT_MAX_CHARS, runUrl: target.runUrl }),
    annotations,
    detailsUrl: target.runUrl,
  };
}

function logCheckRun(core: ActionCore, published: CheckRunPublished): void {
  const skipped = published.skipped === 0 ? '' : ` (${published.skipped} outside the repository left out)`;
  core.info(
    `check run ${published.url || published.id}: ${published.annotated} annotations in ${published.requests} request(s)${skipped}`,
  );
}
