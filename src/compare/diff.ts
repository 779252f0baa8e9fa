// A compact unified line diff of expected vs actual text, for reports: a long output that
// differs in one line is unreadable as two blocks, and obvious as a diff.
import { structuredPatch } from 'diff';

const CONTEXT_LINES = 2;
/** Beyond this many lines the diff is cut; the full actual text is in the result anyway. */
const MAX_DIFF_LINES = 60;

/** `--- expected` / `+++ actual` then the hunks; undefined when the texts are equal. */
export function lineDiff(expected: string, actual: string, label?: string): string | undefined {
  if (expected === actual) return undefined;
  const suffix = label === undefined ? '' : ` ${label}`;
  // A newline at the end keeps the diff free of "\ No newline at end of file" markers, which
  // are noise here: text comparison already ignores trailing newlines.
  const patch = structuredPatch('expected', 'actual', `${expected}\n`, `${actual}\n`, undefined, undefined, {
    context: CONTEXT_LINES,
  });
  const lines = [`--- expected${suffix}`, `+++ actual${suffix}`];
  for (const hunk of patch.hunks) {
    lines.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`);
    lines.push(...hunk.lines.filter((line) => !line.startsWith('\\')));
  }
  if (lines.length <= MAX_DIFF_LINES) return lines.join('\n');
  const omitted = lines.length - MAX_DIFF_LINES;
  return [...lines.slice(0, MAX_DIFF_LINES), `… (${omitted} more diff lines)`].join('\n');
}
