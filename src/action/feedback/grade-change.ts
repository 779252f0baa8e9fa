// The change since the previous grade, read back from the grade a sticky comment carries.

import type { StickyComment } from '../../github/comment';
import { type GradeChange, gradeChange, readSnapshot } from '../../report/comment';
import type { GradeReport } from '../../report/model';

export function changeSince(
  report: GradeReport,
  comment: StickyComment | undefined,
): GradeChange | undefined {
  const previous = comment === undefined ? undefined : readSnapshot(comment.body);
  return previous === undefined ? undefined : gradeChange(report, previous);
}

/** The previous grade of the job: the first pull request's comment that exists. */
export function previousComment(
  existing: ReadonlyMap<number, StickyComment | undefined>,
  pullRequests: number[],
): StickyComment | undefined {
  return pullRequests.map((number) => existing.get(number)).find(Boolean);
}
