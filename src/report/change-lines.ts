// The lines under the score that say what changed since the previous grade (read back from the
// sticky comment: comment.ts).
import type { GradeChange } from './comment';
import type { GradeReport } from './model';
import { escapeMarkdownInline, formatCount, oneLine, truncateText } from './sanitize';

// The change list sits in the header, which is never dropped, so it stays short whatever the names.
const CHANGE_NAMES_SHOWN = 5;
const CHANGE_NAME_CHARS = 80;

/** Markdown lines: the score then and now, and the checks that now pass or no longer do. */
export function changeLines(report: GradeReport, change: GradeChange): string[] {
  const delta = Math.round((report.score - change.previousScore) * 1000) / 1000;
  const signed = delta > 0 ? `+${delta}` : `${delta}`;
  const commit = change.previousSha === undefined ? '' : ` (\`${change.previousSha.slice(0, 7)}\`)`;
  const lines = [
    `**Since the previous grade${commit}:** ${change.previousScore}/${change.previousMaxScore} → ${report.score}/${report.maxScore} (${delta === 0 ? 'no change' : `${signed} points`})`,
  ];
  const list = (emoji: string, label: string, names: string[]): string[] => {
    if (names.length === 0) {
      return [];
    }
    const shown = names
      .slice(0, CHANGE_NAMES_SHOWN)
      .map((name) => escapeMarkdownInline(truncateText(oneLine(name), CHANGE_NAME_CHARS)));
    const more = names.length - shown.length;
    return [`- ${emoji} ${label}: ${shown.join(', ')}${more > 0 ? ` and ${formatCount(more)} more` : ''}`];
  };
  const items = [
    ...list('✅', 'now passing', change.nowPassing),
    ...list('❌', 'no longer passing', change.noLongerPassing),
  ];
  return items.length === 0 ? lines : [...lines, '', ...items];
}
