// The job summary: the whole report, with the change since the previous grade.
import type { GradeChange } from '../../report/comment';
import { renderMarkdown } from '../../report/markdown';
import type { GradeReport } from '../../report/model';
import type { ActionCore } from '../core';

export async function writeJobSummary(
  core: ActionCore,
  report: GradeReport,
  change: GradeChange | undefined,
  runUrl: string | undefined,
): Promise<void> {
  await core.appendSummary(renderMarkdown(report, { change, runUrl }));
}
