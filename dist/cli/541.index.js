"use strict";
exports.id = 541;
exports.ids = [541];
exports.modules = {

/***/ 8541:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  COMMENT_MAX_CHARS: () => (/* binding */ COMMENT_MAX_CHARS),
  STEP_SUMMARY_MAX_CHARS: () => (/* binding */ STEP_SUMMARY_MAX_CHARS),
  progressBar: () => (/* binding */ progressBar),
  renderMarkdown: () => (/* binding */ renderMarkdown)
});

// EXTERNAL MODULE: ./src/report/sanitize.ts
var sanitize = __webpack_require__(1211);
;// CONCATENATED MODULE: ./src/report/change-lines.ts

// The change list sits in the header, which is never dropped, so it stays short whatever the names.
const CHANGE_NAMES_SHOWN = 5;
const CHANGE_NAME_CHARS = 80;
/** Markdown lines: the score then and now, and the checks that now pass or no longer do. */
function changeLines(report, change) {
    const delta = Math.round((report.score - change.previousScore) * 1000) / 1000;
    const signed = delta > 0 ? `+${delta}` : `${delta}`;
    const commit = change.previousSha === undefined ? '' : ` (\`${change.previousSha.slice(0, 7)}\`)`;
    const lines = [
        `**Since the previous grade${commit}:** ${change.previousScore}/${change.previousMaxScore} → ${report.score}/${report.maxScore} (${delta === 0 ? 'no change' : `${signed} points`})`,
    ];
    const list = (emoji, label, names) => {
        if (names.length === 0) {
            return [];
        }
        const shown = names
            .slice(0, CHANGE_NAMES_SHOWN)
            .map((name) => (0,sanitize/* escapeMarkdownInline */.E4)((0,sanitize/* truncateText */.EJ)((0,sanitize/* oneLine */.TN)(name), CHANGE_NAME_CHARS)));
        const more = names.length - shown.length;
        return [`- ${emoji} ${label}: ${shown.join(', ')}${more > 0 ? ` and ${(0,sanitize/* formatCount */.B4)(more)} more` : ''}`];
    };
    const items = [
        ...list('✅', 'now passing', change.nowPassing),
        ...list('❌', 'no longer passing', change.noLongerPassing),
    ];
    return items.length === 0 ? lines : [...lines, '', ...items];
}

// EXTERNAL MODULE: ./src/report/model.ts
var model = __webpack_require__(6867);
// EXTERNAL MODULE: ./node_modules/diff/libesm/diff/line.js + 1 modules
var line = __webpack_require__(7073);
;// CONCATENATED MODULE: ./src/report/text-diff.ts
// A line diff of an expected text and the actual one, for a failed check's details: only where a
// diff says more than the two values side by side would.


// Beyond this many edits a diff is noise (and costly to compute); the two values are shown instead.
const DIFF_MAX_EDITS = 100;
const DIFF_CONTEXT_LINES = 3;
/**
 * A line diff of expected and actual text, or undefined when a diff would not help: a value is
 * missing, both fit on one line (the two values side by side say it better), the expectation is
 * not literal text (`contains "x"`, `matches /x/`), or the texts differ almost everywhere.
 */
function textDiff(expected, actual, limits) {
    if (expected === undefined || actual === undefined) {
        return undefined;
    }
    const wanted = literalText((0,sanitize/* stripUnsafe */.P4)(expected));
    const got = (0,sanitize/* stripUnsafe */.P4)(actual).replace(/\n+$/, '');
    if (wanted === undefined || wanted === got || (!wanted.includes('\n') && !got.includes('\n'))) {
        return undefined;
    }
    // Cut before diffing, so a huge output costs no more than the part of it that is shown.
    const cap = (text) => limits === undefined ? text : (0,sanitize/* truncateText */.EJ)((0,sanitize/* firstLines */.UV)(text, limits.valueLines), limits.valueChars);
    const changes = (0,line/* diffLines */.Pp)(`${cap(wanted)}\n`, `${cap(got)}\n`, { maxEditLength: DIFF_MAX_EDITS });
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
        out.push(`⋯ ${(0,sanitize/* formatCount */.B4)(lines.length - before - after)} unchanged lines`);
        out.push(...lines.slice(lines.length - after).map((line) => ` ${line}`));
    });
    return out.join('\n');
}
// Expectations are described as `equals "text"` (a JSON string) or given as plain text; any other
// form (`contains …`, `matches /…/`, `not (…)`, a list) is a rule, not a text to diff against.
function literalText(expected) {
    const quoted = /^equals ("(?:[^"\\]|\\.)*")$/s.exec(expected);
    if (quoted?.[1] !== undefined) {
        try {
            const value = JSON.parse(quoted[1]);
            return typeof value === 'string' ? value.replace(/\n+$/, '') : undefined;
        }
        catch {
            return undefined;
        }
    }
    if (/^(?:equals|contains|matches|not) /.test(expected) || /^[[{]/.test(expected)) {
        return undefined;
    }
    return expected.replace(/\n+$/, '');
}

;// CONCATENATED MODULE: ./src/report/markdown.ts
// The markdown report for the job summary and the PR comment. GitHub rejects (or silently cuts)
// text over its limits, and a cut in the middle of an HTML tag garbles the rest of the page, so
// the size cap is enforced here, where the pieces are still whole blocks that can be dropped.




const STEP_SUMMARY_MAX_CHARS = 1_000_000;
const COMMENT_MAX_CHARS = 65_535;
const DEFAULT_TITLE = 'Docker autograder';
const MAX_NAME_CHARS = 200;
const MAX_SETUP_ERROR_CHARS = 1_000;
const SUMMARY_MESSAGE_CHARS = 150;
// Tried in order: first everything at a generous size, then every detail shortened, and only
// then are details dropped, so a single huge output does not cost the other checks their details.
const FULL = {
    valueChars: 10_000,
    valueLines: 200,
    messageChars: 2_000,
    hintChars: 1_000,
    logLines: 40,
    logChars: 8_000,
};
const COMPACT = {
    valueChars: 1_000,
    valueLines: 20,
    messageChars: 500,
    hintChars: 500,
    logLines: 15,
    logChars: 1_500,
};
const CHECK_EMOJI = { pass: '✅', fail: '❌', error: '⚠️', skipped: '⏭️' };
const EXERCISE_EMOJI = { pass: '✅', fail: '❌', error: '⚠️' };
function renderMarkdown(report, options = {}) {
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
function withoutDetails(header, sections, maxChars, report, title) {
    const notice = truncationNotice('the details of failed checks and some check tables were left out', maxChars);
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
        blocks.push(`_… and ${(0,sanitize/* formatCount */.B4)(left)} more exercise${left === 1 ? '' : 's'} not shown._\n`);
        const result = assemble(blocks);
        if (size(result) <= maxChars) {
            return result;
        }
    }
    // Plain text with no markup cannot be left unbalanced by a cut.
    const bare = `${(0,sanitize/* escapeMarkdownInline */.E4)((0,sanitize/* oneLine */.TN)(title))}: ${report.score}/${report.maxScore}\n`;
    return fitBytes(bare, maxChars);
}
function renderHeader(report, title, options) {
    const infra = (0,model/* hasInfraError */.j0)(report);
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
        `## ${emoji} ${(0,sanitize/* escapeMarkdownInline */.E4)((0,sanitize/* truncateText */.EJ)((0,sanitize/* oneLine */.TN)(title), MAX_NAME_CHARS))}: ${report.score}/${report.maxScore} points`,
        '',
        facts.join(' · '),
    ];
    if (options.change !== undefined) {
        lines.push('', ...changeLines(report, options.change));
    }
    if (infra) {
        lines.push('', '> [!WARNING]', '> The grader or the Docker engine failed, so this grade is incomplete. This is not the', '> submission’s fault: re-run the job.');
    }
    if (exercises === 0) {
        lines.push('', '_No exercises were graded._');
    }
    return `${lines.join('\n')}\n`;
}
// Only a plain http(s) URL is linked: anything else could break out of the link syntax.
function safeUrl(url) {
    return url !== undefined && /^https?:\/\/[A-Za-z0-9\-._~:/?#@!$&*+,;=%]+$/.test(url) ? url : undefined;
}
/** `▰▰▰▰▱▱▱▱▱▱ 40%`; rounded down, so 99.6% never shows as a full bar. */
function progressBar(score, maxScore, width = 10) {
    const ratio = maxScore > 0 ? Math.min(1, Math.max(0, score / maxScore)) : 0;
    const percent = Math.floor(ratio * 100 + 1e-9);
    const filled = Math.floor((percent * width) / 100);
    return `${'▰'.repeat(filled)}${'▱'.repeat(width - filled)} ${percent}%`;
}
function renderSection(exercise) {
    const heading = `### ${EXERCISE_EMOJI[exercise.status]} ${exerciseName(exercise)} · ${exercise.score}/${exercise.maxScore}`;
    const lines = [heading, ''];
    // Before the table: it explains why the checks in it were skipped.
    if (exercise.setupError !== undefined) {
        const error = (0,sanitize/* truncateText */.EJ)((0,sanitize/* stripUnsafe */.P4)(exercise.setupError), MAX_SETUP_ERROR_CHARS);
        lines.push(`**Setup failed:** ${(0,sanitize/* escapeMarkdownInline */.E4)(error)}`, '');
    }
    // The cause, which the log excerpt below (its tail) may have cut.
    if (exercise.firstError !== undefined) {
        const first = (0,sanitize/* truncateText */.EJ)((0,sanitize/* oneLine */.TN)(exercise.firstError), MAX_SETUP_ERROR_CHARS);
        lines.push(`**First error:** ${(0,sanitize/* escapeMarkdownInline */.E4)(first)}`, '');
    }
    if (exercise.checks.length === 0) {
        lines.push('_No checks ran._');
    }
    else {
        lines.push('| | Check | Points |', '| :-: | --- | --: |');
        for (const check of exercise.checks) {
            const lock = check.hidden === true ? ' 🔒' : '';
            lines.push(`| ${CHECK_EMOJI[check.status]} | ${checkName(check)}${lock} | ${check.points}/${check.maxPoints} |`);
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
function renderDetails(exercise, limits) {
    // A hidden check is listed in the table with its status and points, and nothing more.
    const blocks = exercise.checks
        .filter((check) => check.hidden !== true && (check.status === 'fail' || check.status === 'error'))
        .map((check) => renderCheckDetails(check, limits));
    if (exercise.setupLog !== undefined && (0,sanitize/* stripUnsafe */.P4)(exercise.setupLog) !== '') {
        const log = (0,sanitize/* truncateTextTail */.q5)((0,sanitize/* lastLines */.w$)((0,sanitize/* stripUnsafe */.P4)(exercise.setupLog), limits.logLines), limits.logChars);
        blocks.push([
            '<details>',
            `<summary>📄 ${exerciseName(exercise)}: log excerpt (last ${limits.logLines} lines)</summary>`,
            '',
            (0,sanitize/* codeBlock */.DV)(log),
            '',
            '</details>',
            '',
        ].join('\n'));
    }
    return blocks;
}
function renderCheckDetails(check, limits) {
    const message = (0,sanitize/* truncateText */.EJ)((0,sanitize/* stripUnsafe */.P4)(check.message), limits.messageChars);
    const firstLine = (0,sanitize/* truncateText */.EJ)((0,sanitize/* oneLine */.TN)(message.split('\n')[0] ?? ''), SUMMARY_MESSAGE_CHARS);
    const reason = firstLine === '' ? '' : `: ${(0,sanitize/* escapeMarkdownInline */.E4)(firstLine)}`;
    const title = `${CHECK_EMOJI[check.status]} ${checkName(check)} (${check.points}/${check.maxPoints})${reason}`;
    const lines = [];
    if (message !== '' && message !== firstLine) {
        lines.push((0,sanitize/* escapeMarkdownInline */.E4)(message), '');
    }
    if (check.firstError !== undefined) {
        const first = (0,sanitize/* truncateText */.EJ)((0,sanitize/* oneLine */.TN)(check.firstError), limits.messageChars);
        lines.push(`**First error:** ${(0,sanitize/* escapeMarkdownInline */.E4)(first)}`, '');
    }
    // The comparators' own diff when they made one; else one made here from the two texts.
    const given = check.diff === undefined ? '' : (0,sanitize/* stripUnsafe */.P4)(check.diff);
    const diff = given !== ''
        ? (0,sanitize/* truncateText */.EJ)((0,sanitize/* firstLines */.UV)(given, limits.valueLines), limits.valueChars)
        : textDiff(check.expected, check.actual, limits);
    if (diff !== undefined) {
        lines.push('**Expected vs actual** (`-` expected, `+` actual)', '', (0,sanitize/* codeBlock */.DV)(diff), '');
    }
    else {
        for (const [label, value] of [
            ['Expected', check.expected],
            ['Actual', check.actual],
        ]) {
            if (value !== undefined) {
                lines.push(`**${label}**`, '', valueBlock(value, limits), '');
            }
        }
    }
    if (check.hint !== undefined && check.hint !== '') {
        lines.push(`**Hint:** ${(0,sanitize/* escapeMarkdownInline */.E4)((0,sanitize/* truncateText */.EJ)((0,sanitize/* stripUnsafe */.P4)(check.hint), limits.hintChars))}`, '');
    }
    // Only a place in the student's own files: the exercise spec is the instructor's.
    if (check.location !== undefined) {
        const { file, line, column } = check.location;
        const where = (0,sanitize/* truncateText */.EJ)((0,sanitize/* oneLine */.TN)(file), MAX_NAME_CHARS);
        lines.push(`**Where:** ${(0,sanitize/* escapeMarkdownInline */.E4)(`${where}:${line}:${column}`)}`, '');
    }
    // Nothing to unfold: a collapsed section that opens onto nothing would only look broken.
    if (lines.length === 0) {
        return `${title}\n`;
    }
    return ['<details>', `<summary>${title}</summary>`, '', ...lines, '</details>', ''].join('\n');
}
// An empty value is meaningful ("printed nothing") and an empty <pre> would look like a glitch.
function valueBlock(raw, limits) {
    const text = (0,sanitize/* stripUnsafe */.P4)(raw);
    if (text === '') {
        return '_(empty)_';
    }
    return (0,sanitize/* codeBlock */.DV)((0,sanitize/* truncateText */.EJ)((0,sanitize/* firstLines */.UV)(text, limits.valueLines), limits.valueChars));
}
function exerciseName(exercise) {
    const id = (0,sanitize/* escapeMarkdownInline */.E4)((0,sanitize/* truncateText */.EJ)((0,sanitize/* oneLine */.TN)(exercise.id), MAX_NAME_CHARS));
    const title = (0,sanitize/* oneLine */.TN)(exercise.title).trim();
    return title === '' ? id : `${id} — ${(0,sanitize/* escapeMarkdownInline */.E4)((0,sanitize/* truncateText */.EJ)(title, MAX_NAME_CHARS))}`;
}
function checkName(check) {
    return (0,sanitize/* escapeMarkdownInline */.E4)((0,sanitize/* truncateText */.EJ)((0,sanitize/* oneLine */.TN)(check.name), MAX_NAME_CHARS));
}
function detailsDropped(dropped, total) {
    return `the details of ${(0,sanitize/* formatCount */.B4)(dropped)} of ${(0,sanitize/* formatCount */.B4)(total)} failed checks and logs were left out`;
}
function truncationNotice(what, maxChars) {
    return `> [!NOTE]\n> Details truncated: ${what} to keep this report within ${(0,sanitize/* formatCount */.B4)(maxChars)} characters.\n`;
}
// Blocks end with a newline; one more between them keeps each a separate markdown block.
function assemble(blocks) {
    return blocks.join('\n');
}
function size(text) {
    return Buffer.byteLength(text, 'utf8');
}
function fitBytes(text, maxBytes) {
    let end = Math.min(text.length, Math.max(0, maxBytes));
    while (end > 0 && size(text.slice(0, end)) > maxBytes) {
        end -= 1;
    }
    const code = text.charCodeAt(end - 1);
    return text.slice(0, end > 0 && code >= 0xd800 && code <= 0xdbff ? end - 1 : end);
}


/***/ })

};
;