// Everything a student controls (program output, build logs, file names, even check names) passes
// through these helpers before it reaches a terminal, a GitHub Actions log, a job summary or a PR
// comment. They are pure and idempotent, so applying one twice is harmless and callers do not
// have to remember whether a value was already cleaned.
import { randomUUID } from 'node:crypto';

// Escape sequences are removed as whole sequences first, so their parameters ("[31m") do not
// survive as visible litter once the ESC byte itself is gone. Unterminated OSC/DCS strings stop
// at the end of the line: a terminal would swallow everything after them, but a report must not
// let a student hide the rest of their output that way.
const ANSI_SEQUENCE = new RegExp(
  [
    // OSC (e.g. hyperlinks, window titles): ESC ] ... BEL | ESC \
    '\\u001b\\][^\\u0007\\u001b\\n]*(?:\\u0007|\\u001b\\\\)?',
    // DCS, SOS, PM, APC: ESC P|X|^|_ ... ESC \
    '\\u001b[PX^_][^\\u001b\\n]*(?:\\u001b\\\\)?',
    // CSI (colours, cursor movement, screen clearing), 7-bit and 8-bit introducers
    '(?:\\u001b\\[|\\u009b)[0-?]*[ -/]*[@-~]',
    // Every other escape: nF, Fp, Fe, Fs
    '\\u001b[ -/]*[0-~]',
  ].join('|'),
  'g',
);

// C0 and C1 controls except \t and \n (\r was turned into \n before this runs), plus every
// Unicode "format" character (Cf): bidi embeddings/overrides/isolates (U+202A-202E, U+2066-2069),
// LRM/RLM/ALM, zero-width spaces and joiners, BOM, invisible tag characters (U+E0000-E007F).
// Removing the whole category rather than a hand-picked list also covers future additions.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the purpose
const UNSAFE_CHARACTER = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\p{Cf}]/gu;

// Under the u flag a surrogate range only matches surrogates that are not part of a pair.
const LONE_SURROGATE = /[\ud800-\udfff]/gu;

/**
 * Removes ANSI escape sequences, control characters (keeping \n and \t) and invisible
 * formatting characters such as bidi overrides. CR and CRLF become LF: the Actions runner
 * splits lines on a bare CR too, so a CR left in place would start a line nobody sees.
 */
export function stripUnsafe(text: string): string {
  return text
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(ANSI_SEQUENCE, '')
    .replace(/\r\n?|[\u0085\u2028\u2029]/g, '\n')
    .replace(UNSAFE_CHARACTER, '');
}

/**
 * Keeps the head of `text` so that the result, including the notice, is at most `maxChars`
 * long, and says how much was cut. `note` is appended inside the notice (e.g. where the full
 * text can be found).
 */
export function truncateText(text: string, maxChars: number, note?: string): string {
  if (text.length <= maxChars) {
    return text;
  }
  // The number of digits in the notice depends on how much is cut; sizing it for the worst
  // case (everything cut) keeps the result within maxChars in one pass.
  const extra = note === undefined || note === '' ? '' : `; ${note}`;
  const worstNotice = truncationNotice(text.length, extra);
  if (worstNotice.length >= maxChars) {
    return sliceCodeUnits(worstNotice.trimStart(), maxChars);
  }
  const head = sliceCodeUnits(text, maxChars - worstNotice.length);
  return head + truncationNotice(text.length - head.length, extra);
}

/** Like truncateText, but keeps the end: the last lines of a log are where the error is. */
export function truncateTextTail(text: string, maxChars: number): string {
  if (text.length <= maxChars) {
    return text;
  }
  const worstNotice = `… [truncated ${formatCount(text.length)} earlier characters]\n`;
  if (worstNotice.length >= maxChars) {
    return sliceCodeUnits(worstNotice.trimEnd(), maxChars);
  }
  let start = text.length - (maxChars - worstNotice.length);
  const code = text.charCodeAt(start);
  if (code >= 0xdc00 && code <= 0xdfff) {
    start += 1;
  }
  return `… [truncated ${formatCount(start)} earlier characters]\n${text.slice(start)}`;
}

/** Keeps the last `maxLines` lines (a log's end is where the error is) and says how many went. */
export function lastLines(text: string, maxLines: number): string {
  return keepLines(text, maxLines, 'last');
}

/** Keeps the first `maxLines` lines and says how many went. */
export function firstLines(text: string, maxLines: number): string {
  return keepLines(text, maxLines, 'first');
}

function keepLines(text: string, maxLines: number, which: 'first' | 'last'): string {
  const lines = text.split('\n');
  if (lines.length <= maxLines) {
    return text;
  }
  const omitted = lines.length - maxLines;
  const plural = omitted === 1 ? '' : 's';
  return which === 'last'
    ? [`… [${formatCount(omitted)} earlier line${plural} omitted]`, ...lines.slice(-maxLines)].join('\n')
    : [...lines.slice(0, maxLines), `… [${formatCount(omitted)} more line${plural} omitted]`].join('\n');
}

/** For places that must stay on one line (names, ids, titles): newlines and tabs become spaces. */
export function oneLine(text: string): string {
  return stripUnsafe(text).replace(/[\n\t]+/g, ' ');
}

/** 98304 -> "98,304", independent of the machine's locale. */
export function formatCount(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

// Numeric entities rather than backslash escapes because the same text may land inside raw HTML
// (a <summary>, a table built by someone else), where a backslash would show literally, while an
// entity renders as the plain character in both markdown and HTML and is never markdown syntax.
// The set is every ASCII punctuation character that means something in GitHub-flavoured
// markdown anywhere in a line (emphasis, code, links, tables, strikethrough, math, autolinks,
// emoji shortcodes) or at the start of one (headings, lists, quotes, setext underlines).
const MARKDOWN_INLINE_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '\\': '&#92;',
  '`': '&#96;',
  '*': '&#42;',
  _: '&#95;',
  '{': '&#123;',
  '}': '&#125;',
  '[': '&#91;',
  ']': '&#93;',
  '(': '&#40;',
  ')': '&#41;',
  // Like mentions, issue references (#12, owner/repo#12) are linked in the rendered text, and
  // each one notifies the referenced issue: a zero-width space after # breaks the pattern.
  '#': '&#35;&#8203;',
  '+': '&#43;',
  '-': '&#45;',
  '.': '&#46;',
  '!': '&#33;',
  '|': '&#124;',
  '~': '&#126;',
  ':': '&#58;',
  '=': '&#61;',
  $: '&#36;',
  // GitHub finds mentions in the rendered HTML's text, after entities are decoded, so encoding
  // the @ alone would not help; a zero-width space after it breaks the mention pattern while
  // rendering as the same visible text. It is added here, after stripUnsafe, so it survives.
  '@': '@&#8203;',
  '\n': '<br>',
};
const MARKDOWN_INLINE_SPECIAL = /[&<>"'\\`*_{}[\]()#+\-.!|~:=$@\n]/g;

/**
 * Makes untrusted text safe and literal inside a markdown paragraph, heading, table cell or an
 * inline HTML element: HTML and markdown syntax are entity-encoded, newlines become <br>,
 * @mentions are neutralised.
 */
export function escapeMarkdownInline(text: string): string {
  return stripUnsafe(text).replace(MARKDOWN_INLINE_SPECIAL, (char) => MARKDOWN_INLINE_ENTITIES[char] ?? char);
}

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] ?? char);
}

/**
 * A literal, whitespace-preserving block for untrusted multi-line text.
 *
 * An HTML <pre><code> block rather than a markdown fence: with < escaped, the content can never
 * contain `</pre>`, which is the only thing that ends this kind of HTML block (blank lines do
 * not), so there is nothing to count or get wrong. A fence would have to be longer than every
 * backtick run inside, and breaks when the text sits in a list or after an indented line.
 * Entities inside <pre> render as the plain characters, which also lets this block be inert
 * when a markdown report is printed to an Actions log: `::` and `##[` are entity-encoded so no
 * line can be read as a workflow command. Backticks are encoded too, so the document contains
 * no fence even for a renderer that does not know HTML blocks.
 */
export function codeBlock(text: string): string {
  const body = escapeHtml(stripUnsafe(text))
    .replace(/@/g, '@&#8203;')
    .replace(/`/g, '&#96;')
    .replace(/::/g, '&#58;:')
    .replace(/##\[/g, '#&#35;[');
  return `<pre><code>${body}</code></pre>`;
}

// Visible on purpose: a reader of the log should see that the line was neutralised rather than
// wonder why a command-looking line did nothing. It is not whitespace, so the runner's
// TrimStart() does not remove it.
const DEFANG_MARKER = '» ';

/**
 * Makes text inert for the GitHub Actions runner, which reads workflow commands from every
 * output line in two syntaxes: `::command::` at the start of a line after leading whitespace,
 * and the legacy `##[command]` anywhere in a line. Lines of the first kind get a visible "» "
 * prefix; `##[` becomes `##»[`. Unsafe characters are stripped first, because a bare CR counts
 * as a line break for the runner and would otherwise hide a command from this check.
 */
export function defangWorkflowCommands(text: string): string {
  return defangStripped(stripUnsafe(text));
}

/**
 * defangWorkflowCommands for text that stripUnsafe cleaned already (stripping is the costly
 * part, and renderers that try several sizes clean once).
 */
export function defangStripped(stripped: string): string {
  return stripped.replace(/^[^\S\n]*::/gm, (match) => `${DEFANG_MARKER}${match}`).replace(/##\[/g, '##»[');
}

/** A fresh random token for `::stop-commands::`; one per run, never derived from input. */
export function newStopToken(): string {
  return randomUUID().replace(/-/g, '');
}

const STOP_TOKEN = /^[A-Za-z0-9_]{16,}$/;

/**
 * Wraps untrusted text for an Actions log: the runner ignores every workflow command until it
 * sees `::<token>::`. The text is also defanged, so a student who guessed or leaked the token
 * still could not resume command processing from inside the block.
 */
export function wrapUntrustedLog(text: string, token: string): string {
  const { start, end } = stopCommandsMarkers(token);
  const body = defangWorkflowCommands(text).replace(/\n$/, '');
  return `${start}\n${body}\n${end}`;
}

/** The lines that open and close a stop-commands block (for output streamed in between). */
export function stopCommandsMarkers(token: string): { start: string; end: string } {
  // A short or guessable token would let the text end the block; this is a programming error.
  if (!STOP_TOKEN.test(token)) {
    throw new Error('the stop token must be at least 16 letters, digits or underscores');
  }
  return { start: `::stop-commands::${token}`, end: `::${token}::` };
}

function truncationNotice(cut: number, extra: string): string {
  return `\n… [truncated ${formatCount(cut)} characters${extra}]`;
}

// Cutting between the two halves of a surrogate pair would leave a broken character behind.
function sliceCodeUnits(text: string, length: number): string {
  const end = Math.max(0, length);
  const code = text.charCodeAt(end - 1);
  const splitsPair = end > 0 && end < text.length && code >= 0xd800 && code <= 0xdbff;
  return text.slice(0, splitsPair ? end - 1 : end);
}
