// A line diff of an expected text and the actual one, for a failed check's details: only where a
// diff says more than the two values side by side would.
import { diffLines } from 'diff';
import { firstLines, formatCount, stripUnsafe, truncateText } from './sanitize';

// Beyond this many edits a diff is noise (and costly to compute); the two values are shown instead.
const DIFF_MAX_EDITS = 100;
const DIFF_CONTEXT_LINES = 3;

/**
 * A line diff of expected and actual text, or undefined when a diff would not help: a value is
 * missing, both fit on one line (the two values side by side say it better), the expectation is
 * not literal text (`contains "x"`, `matches /x/`), or the texts differ almost everywhere.
 */
export function textDiff(
  expected: string | undefined,
  actual: string | undefined,
  limits?: { valueChars: number; valueLines: number },
): string | undefined {
  if (expected === undefined || actual === undefined) {
    return undefined;
  }
  const wanted = literalText(stripUnsafe(expected));
  const got = stripUnsafe(actual).replace(/\n+$/, '');
  if (wanted === undefined || wanted === got || (!wanted.includes('\n') && !got.includes('\n'))) {
    return undefined;
  }
  // Cut before diffing, so a huge output costs no more than the part of it that is shown.
  const cap = (text: string): string =>
    limits === undefined ? text : truncateText(firstLines(text, limits.valueLines), limits.valueChars);
  const changes = diffLines(`${cap(wanted)}\n`, `${cap(got)}\n`, { maxEditLength: DIFF_MAX_EDITS });
  if (changes === undefined) {
    return undefined;
  }
  const out = ['--- expected', '+++ actual'];
  changes.forEach((change, index) => {
    const lines = change.value.replace(/\n$/, '').split('\n');
    if (change.added || change.removed) {
      out.push(...lines.map((line) => `${change.added ? '+' : '-'}${line}`));
      return;
    }
    // Unchanged runs keep a few lines of context on the sides that touch a change.
    const before = index > 0 ? DIFF_CONTEXT_LINES : 0;
    const after = index < changes.length - 1 ? DIFF_CONTEXT_LINES : 0;
    if (lines.length <= before + after + 1) {
      out.push(...lines.map((line) => ` ${line}`));
      return;
    }
    out.push(...lines.slice(0, before).map((line) => ` ${line}`));
    out.push(`⋯ ${formatCount(lines.length - before - after)} unchanged lines`);
    out.push(...lines.slice(lines.length - after).map((line) => ` ${line}`));
  });
  return out.join('\n');
}

// Expectations are described as `equals "text"` (a JSON string) or given as plain text; any other
// form (`contains …`, `matches /…/`, `not (…)`, a list) is a rule, not a text to diff against.
function literalText(expected: string): string | undefined {
  const quoted = /^equals ("(?:[^"\\]|\\.)*")$/s.exec(expected);
  if (quoted?.[1] !== undefined) {
    try {
      const value: unknown = JSON.parse(quoted[1]);
      return typeof value === 'string' ? value.replace(/\n+$/, '') : undefined;
    } catch {
      return undefined;
    }
  }
  if (/^(?:equals|contains|matches|not) /.test(expected) || /^[[{]/.test(expected)) {
    return undefined;
  }
  return expected.replace(/\n+$/, '');
}
