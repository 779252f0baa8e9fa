// The markdown report for the job summary and the PR comment. GitHub rejects (or silently cuts)
// text over its limits, and a cut in the middle of an HTML tag garbles the rest of the page, so
// the size cap is enforced here, where the pieces are still whole blocks that can be dropped.
import { changeLines } from './change-lines';
import type { GradeChange } from './comment';
import type { CheckResult, CheckStatus, ExerciseResult, ExerciseStatus, GradeReport } from './model';
import { hasInfraError } from './model';
import {
  codeBlock,
  escapeMarkdownInline,
  firstLines,
  formatCount,
  lastLines,
  oneLine,
  stripUnsafe,
  truncateText,
  truncateTextTail,
} from './sanitize';
import { textDiff } from './text-diff';

export interface MarkdownOptions {
  /**
   * Upper bound for the result, measured in UTF-8 bytes, which is never less than the number of
   * characters, so one number serves the step summary (1 MiB of bytes) and a comment (65,535
   * characters) alike.
   */
  maxChars?: number;
  title?: string;
  /** What changed since the previous grade (read from the sticky comment), shown under the score. */
  change?: GradeChange;
  /** The workflow run that graded the submission; only http(s) URLs are linked. */
  runUrl?: string;
}

export const STEP_SUMMARY_MAX_CHARS = 1_000_000;
export const COMMENT_MAX_CHARS = 65_535;

const DEFAULT_TITLE = 'Docker autograder';
const MAX_NAME_CHARS = 200;
const MAX_SETUP_ERROR_CHARS = 1_000;
const SUMMARY_MESSAGE_CHARS = 150;

interface DetailLimits {
  valueChars: number;
  valueLines: number;
  messageChars: number;
  hintChars: number;
  logLines: number;
  logChars: number;
}

// Tried in order: first everything at a generous size, then every detail shortened, and only
// then are details dropped, so a single huge output does not cost the other checks their details.
const FULL: DetailLimits = {
  valueChars: 10_000,
  valueLines: 200,
  messageChars: 2_000,
  hintChars: 1_000,
  logLines: 40,
  logChars: 8_000,
};
const COMPACT: DetailLimits = {
  valueChars: 1_000,
  valueLines: 20,
  messageChars: 500,
  hintChars: 500,
  logLines: 15,
  logChars: 1_500,
};

const CHECK_EMOJI: Record<CheckStatus, string> = { pass: '✅', fail: '❌', error: '⚠️', skipped: '⏭️' };
const EXERCISE_EMOJI: Record<ExerciseStatus, string> = { pass: '✅', fail: '❌', error: '⚠️' };

interface Section {
  /** Heading, table and setup error: what a student needs to see their score. */
  core: string;
  /** Stand-in for `core` when even the tables do not fit. */
  summary: string;
  full: string[];
  compact: string[];
}

export function renderMarkdown(report: GradeReport, options: MarkdownOptions = {}): string {
  const maxChars = options.maxChars ?? STEP_SUMMARY_MAX_CHARS;
  const title = options.title ?? DEFAULT_TITLE;
  const header = renderHeader(report, title, options);
  const sections = report.exercises.map(renderSection);
  const totalDetails = sections.reduce((count, section) => count + section.compact.length, 0);

  const full = assemble([header, ...sections.flatMap((section) => [section.core, ...section.full])]);
  if (size(full) <= maxChars) {
    return full;
  }
  const compact = assemble([header, ...sections.flatMap((section) => [section.core, ...section.compact])]);
  if (size(compact) <= maxChars) {
    return compact;
  }

  // Keep a prefix of the details in document order, so the last exercise loses its details first.
  // The notice is sized for the worst case (every detail dropped): fewer dropped means fewer digits.
  const cores = sections.map((section) => section.core);
  const worstNotice = truncationNotice(detailsDropped(totalDetails, totalDetails), maxChars);
  let budget = maxChars - size(assemble([header, worstNotice, ...cores]));
  let keep = 0;
  for (const block of sections.flatMap((section) => section.compact)) {
    // Each extra block also costs the newline that separates it from the previous one.
    const cost = size(block) + 1;
    if (budget < cost) {
      break;
    }
    budget -= cost;
    keep += 1;
  }
  if (budget >= 0) {
    const blocks = [header, truncationNotice(detailsDropped(totalDetails - keep, totalDetails), maxChars)];
    let left = keep;
    for (const section of sections) {
      const shown = section.compact.slice(0, Math.max(0, left));
      left -= shown.length;
      blocks.push(section.core, ...shown);
    }
    const result = assemble(blocks);
    if (size(result) <= maxChars) {
      return result;
    }
  }

  return withoutDetails(header, sections, maxChars, report, title);
}

/**
 * Last resort when even the tables are too large: exercises from the end are reduced to their
 * heading line, then left out, and if not even the header fits, a bare score line is returned.
 */
function withoutDetails(
  header: string,
  sections: Section[],
  maxChars: number,
  report: GradeReport,
  title: string,
): string {
  const notice = truncationNotice(
    'the details of failed checks and some check tables were left out',
    maxChars,
  );
  for (let keepCores = sections.length - 1; keepCores >= 0; keepCores -= 1) {
    const blocks = [header, notice];
    sections.forEach((section, index) => {
      blocks.push(index < keepCores ? section.core : section.summary);
    });
    const result = assemble(blocks);
    if (size(result) <= maxChars) {
      return result;
    }
  }
  for (let keepSummaries = sections.length - 1; keepSummaries >= 0; keepSummaries -= 1) {
    const left = sections.length - keepSummaries;
    const blocks = [header, notice, ...sections.slice(0, keepSummaries).map((section) => section.summary)];
    blocks.push(`_… and ${formatCount(left)} more exercise${left === 1 ? '' : 's'} not shown._\n`);
    const result = assemble(blocks);
    if (size(result) <= maxChars) {
      return result;
    }
  }
  // Plain text with no markup cannot be left unbalanced by a cut.
  const bare = `${escapeMarkdownInline(oneLine(title))}: ${report.score}/${report.maxScore}\n`;
  return fitBytes(bare, maxChars);
}

function renderHeader(report: GradeReport, title: string, options: MarkdownOptions): string {
  const infra = hasInfraError(report);
  const emoji = report.passed ? '✅' : infra ? '⚠️' : '❌';
  const verdict = report.passed ? 'passed' : infra ? 'grading error' : 'not passed';
  const exercises = report.exercises.length;
  const facts = [
    `${progressBar(report.score, report.maxScore)}`,
    `**${verdict}**`,
    `${exercises} exercise${exercises === 1 ? '' : 's'}`,
    `${(report.durationMs / 1000).toFixed(1)} s`,
  ];
  const runUrl = safeUrl(options.runUrl);
  if (runUrl !== undefined) {
    facts.push(`[workflow run](${runUrl})`);
  }
  const lines = [
    `## ${emoji} ${escapeMarkdownInline(truncateText(oneLine(title), MAX_NAME_CHARS))}: ${report.score}/${report.maxScore} points`,
    '',
    facts.join(' · '),
  ];
  if (options.change !== undefined) {
    lines.push('', ...changeLines(report, options.change));
  }
  if (infra) {
    lines.push(
      '',
      '> [!WARNING]',
      '> The grader or the Docker engine failed, so this grade is incomplete. This is not the',
      '> submission’s fault: re-run the job.',
    );
  }
  if (exercises === 0) {
    lines.push('', '_No exercises were graded._');
  }
  return `${lines.join('\n')}\n`;
}

// Only a plain http(s) URL is linked: anything else could break out of the link syntax.
function safeUrl(url: string | undefined): string | undefined {
  return url !== undefined && /^https?:\/\/[A-Za-z0-9\-._~:/?#@!$&*+,;=%]+$/.test(url) ? url : undefined;
}

/** `▰▰▰▰▱▱▱▱▱▱ 40%`; rounded down, so 99.6% never shows as a full bar. */
export function progressBar(score: number, maxScore: number, width = 10): string {
  const ratio = maxScore > 0 ? Math.min(1, Math.max(0, score / maxScore)) : 0;
  const percent = Math.floor(ratio * 100 + 1e-9);
  const filled = Math.floor((percent * width) / 100);
  return `${'▰'.repeat(filled)}${'▱'.repeat(width - filled)} ${percent}%`;
}

function renderSection(exercise: ExerciseResult): Section {
  const heading = `### ${EXERCISE_EMOJI[exercise.status]} ${exerciseName(exercise)} · ${exercise.score}/${exercise.maxScore}`;
  const lines = [heading, ''];
  // Before the table: it explains why the checks in it were skipped.
  if (exercise.setupError !== undefined) {
    const error = truncateText(stripUnsafe(exercise.setupError), MAX_SETUP_ERROR_CHARS);
    lines.push(`**Setup failed:** ${escapeMarkdownInline(error)}`, '');
  }
  // The cause, which the log excerpt below (its tail) may have cut.
  if (exercise.firstError !== undefined) {
    const first = truncateText(oneLine(exercise.firstError), MAX_SETUP_ERROR_CHARS);
    lines.push(`**First error:** ${escapeMarkdownInline(first)}`, '');
  }
  if (exercise.checks.length === 0) {
    lines.push('_No checks ran._');
  } else {
    lines.push('| | Check | Points |', '| :-: | --- | --: |');
    for (const check of exercise.checks) {
      const lock = check.hidden === true ? ' 🔒' : '';
      lines.push(
        `| ${CHECK_EMOJI[check.status]} | ${checkName(check)}${lock} | ${check.points}/${check.maxPoints} |`,
      );
    }
  }
  const checkCount = exercise.checks.length;
  const summary = `${heading}\n\n_${checkCount} check${checkCount === 1 ? '' : 's'} not shown._\n`;
  return {
    core: `${lines.join('\n')}\n`,
    summary,
    full: renderDetails(exercise, FULL),
    compact: renderDetails(exercise, COMPACT),
  };
}

function renderDetails(exercise: ExerciseResult, limits: DetailLimits): string[] {
  // A hidden check is listed in the table with its status and points, and nothing more.
  const blocks = exercise.checks
    .filter((check) => check.hidden !== true && (check.status === 'fail' || check.status === 'error'))
    .map((check) => renderCheckDetails(check, limits));
  if (exercise.setupLog !== undefined && stripUnsafe(exercise.setupLog) !== '') {
    const log = truncateTextTail(lastLines(stripUnsafe(exercise.setupLog), limits.logLines), limits.logChars);
    blocks.push(
      [
        '<details>',
        `<summary>📄 ${exerciseName(exercise)}: log excerpt (last ${limits.logLines} lines)</summary>`,
        '',
        codeBlock(log),
        '',
        '</details>',
        '',
      ].join('\n'),
    );
  }
  return blocks;
}

function renderCheckDetails(check: CheckResult, limits: DetailLimits): string {
  const message = truncateText(stripUnsafe(check.message), limits.messageChars);
  const firstLine = truncateText(oneLine(message.split('\n')[0] ?? ''), SUMMARY_MESSAGE_CHARS);
  const reason = firstLine === '' ? '' : `: ${escapeMarkdownInline(firstLine)}`;
  const title = `${CHECK_EMOJI[check.status]} ${checkName(check)} (${check.points}/${check.maxPoints})${reason}`;
  const lines: string[] = [];
  if (message !== '' && message !== firstLine) {
    lines.push(escapeMarkdownInline(message), '');
  }
  if (check.firstError !== undefined) {
    const first = truncateText(oneLine(check.firstError), limits.messageChars);
    lines.push(`**First error:** ${escapeMarkdownInline(first)}`, '');
  }
  // The comparators' own diff when they made one; else one made here from the two texts.
  const given = check.diff === undefined ? '' : stripUnsafe(check.diff);
  const diff =
    given !== ''
      ? truncateText(firstLines(given, limits.valueLines), limits.valueChars)
      : textDiff(check.expected, check.actual, limits);
  if (diff !== undefined) {
    lines.push('**Expected vs actual** (`-` expected, `+` actual)', '', codeBlock(diff), '');
  } else {
    for (const [label, value] of [
      ['Expected', check.expected],
      ['Actual', check.actual],
    ] as const) {
      if (value !== undefined) {
        lines.push(`**${label}**`, '', valueBlock(value, limits), '');
      }
    }
  }
  if (check.hint !== undefined && check.hint !== '') {
    lines.push(
      `**Hint:** ${escapeMarkdownInline(truncateText(stripUnsafe(check.hint), limits.hintChars))}`,
      '',
    );
  }
  // Only a place in the student's own files: the exercise spec is the instructor's.
  if (check.location !== undefined) {
    const { file, line, column } = check.location;
    const where = truncateText(oneLine(file), MAX_NAME_CHARS);
    lines.push(`**Where:** ${escapeMarkdownInline(`${where}:${line}:${column}`)}`, '');
  }
  // Nothing to unfold: a collapsed section that opens onto nothing would only look broken.
  if (lines.length === 0) {
    return `${title}\n`;
  }
  return ['<details>', `<summary>${title}</summary>`, '', ...lines, '</details>', ''].join('\n');
}

// An empty value is meaningful ("printed nothing") and an empty <pre> would look like a glitch.
function valueBlock(raw: string, limits: DetailLimits): string {
  const text = stripUnsafe(raw);
  if (text === '') {
    return '_(empty)_';
  }
  return codeBlock(truncateText(firstLines(text, limits.valueLines), limits.valueChars));
}

function exerciseName(exercise: ExerciseResult): string {
  const id = escapeMarkdownInline(truncateText(oneLine(exercise.id), MAX_NAME_CHARS));
  const title = oneLine(exercise.title).trim();
  return title === '' ? id : `${id} — ${escapeMarkdownInline(truncateText(title, MAX_NAME_CHARS))}`;
}

function checkName(check: CheckResult): string {
  return escapeMarkdownInline(truncateText(oneLine(check.name), MAX_NAME_CHARS));
}

function detailsDropped(dropped: number, total: number): string {
  return `the details of ${formatCount(dropped)} of ${formatCount(total)} failed checks and logs were left out`;
}

function truncationNotice(what: string, maxChars: number): string {
  return `> [!NOTE]\n> Details truncated: ${what} to keep this report within ${formatCount(maxChars)} characters.\n`;
}

// Blocks end with a newline; one more between them keeps each a separate markdown block.
function assemble(blocks: string[]): string {
  return blocks.join('\n');
}

function size(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function fitBytes(text: string, maxBytes: number): string {
  let end = Math.min(text.length, Math.max(0, maxBytes));
  while (end > 0 && size(text.slice(0, end)) > maxBytes) {
    end -= 1;
  }
  const code = text.charCodeAt(end - 1);
  return text.slice(0, end > 0 && code >= 0xd800 && code <= 0xdbff ? end - 1 : end);
}
