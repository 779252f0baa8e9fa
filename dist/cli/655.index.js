"use strict";
exports.id = 655;
exports.ids = [655];
exports.modules = {

/***/ 5655:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   renderText: () => (/* binding */ renderText)
/* harmony export */ });
/* harmony import */ var _model__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6867);
/* harmony import */ var _sanitize__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1211);


const MAX_VALUE_CHARS = 2_000;
const MAX_VALUE_LINES = 40;
const MAX_NAME_CHARS = 200;
const LOG_LINES = 40;
const MAX_LOG_CHARS = 8_000;
const CHECK_MARK = { pass: '✔', fail: '✘', error: '!', skipped: '-' };
const CHECK_COLOR = {
    pass: 'green',
    fail: 'red',
    error: 'yellow',
    skipped: 'dim',
};
const EXERCISE_WORD = { pass: 'passed', fail: 'failed', error: 'error' };
const EXERCISE_COLOR = { pass: 'green', fail: 'red', error: 'yellow' };
const SGR = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33' };
// Labels share one width so multi-line values line up under each other.
const LABEL_WIDTH = 'expected: '.length;
const CHECK_INDENT = '  ';
const DETAIL_INDENT = '      ';
function renderText(report, options = {}) {
    const paint = (style, text) => options.color === true ? `\u001b[${SGR[style]}m${text}\u001b[0m` : text;
    const lines = [];
    if (report.exercises.length === 0) {
        lines.push('No exercises were graded.');
    }
    for (const exercise of report.exercises) {
        lines.push(...renderExercise(exercise, paint), '');
    }
    const verdict = report.passed ? 'passed' : (0,_model__WEBPACK_IMPORTED_MODULE_1__/* .hasInfraError */ .j0)(report) ? 'grading error' : 'not passed';
    const verdictStyle = report.passed ? 'green' : (0,_model__WEBPACK_IMPORTED_MODULE_1__/* .hasInfraError */ .j0)(report) ? 'yellow' : 'red';
    lines.push(paint('bold', `Total: ${report.score}/${report.maxScore} — ${paint(verdictStyle, verdict)}`));
    if ((0,_model__WEBPACK_IMPORTED_MODULE_1__/* .hasInfraError */ .j0)(report)) {
        lines.push('The grader or the Docker engine failed; this grade is incomplete. Re-run the grading.');
    }
    return `${lines.join('\n')}\n`;
}
function renderExercise(exercise, paint) {
    const title = name(exercise.title);
    const heading = title === '' ? name(exercise.id) : `${name(exercise.id)} — ${title}`;
    const status = paint(EXERCISE_COLOR[exercise.status], EXERCISE_WORD[exercise.status]);
    const lines = [
        paint('bold', `Exercise ${heading}: ${exercise.score}/${exercise.maxScore} (`) +
            status +
            paint('bold', ')'),
    ];
    // The setup error comes first: it explains why the checks below were skipped.
    if (exercise.setupError !== undefined) {
        lines.push(...labelled(CHECK_INDENT, 'setup error:', exercise.setupError, paint));
    }
    // The cause, which the log's tail (shown last) may have cut.
    if (exercise.firstError !== undefined) {
        lines.push(...labelled(CHECK_INDENT, 'first error:', (0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .oneLine */ .TN)(exercise.firstError), paint));
    }
    for (const check of exercise.checks) {
        lines.push(...renderCheck(check, paint));
    }
    if (exercise.setupLog !== undefined && exercise.setupLog !== '') {
        lines.push(`${CHECK_INDENT}${paint('dim', `log (last ${LOG_LINES} lines):`)}`);
        const excerpt = (0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .truncateTextTail */ .q5)((0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .lastLines */ .w$)(clean(exercise.setupLog), LOG_LINES), MAX_LOG_CHARS);
        lines.push(...excerpt.split('\n').map((line) => `${CHECK_INDENT}${paint('dim', '│')} ${line}`));
    }
    return lines;
}
function renderCheck(check, paint) {
    const mark = paint(CHECK_COLOR[check.status], CHECK_MARK[check.status]);
    const suffix = check.status === 'skipped' ? paint('dim', ' (skipped)') : '';
    const hidden = check.hidden === true ? paint('dim', ' (hidden)') : '';
    const lines = [
        `${CHECK_INDENT}${mark} [${check.points}/${check.maxPoints}] ${name(check.name)}${suffix}${hidden}`,
    ];
    // A hidden check shows its name, status and points only: the details would give the test away.
    if (check.status === 'pass' || check.hidden === true) {
        return lines;
    }
    if (check.message !== '') {
        lines.push(...block(DETAIL_INDENT, value(check.message)));
    }
    if (check.status === 'skipped') {
        return lines;
    }
    if (check.firstError !== undefined) {
        lines.push(...labelled(DETAIL_INDENT, 'first error:', (0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .oneLine */ .TN)(check.firstError), paint));
    }
    if (check.expected !== undefined) {
        lines.push(...labelled(DETAIL_INDENT, 'expected:', check.expected, paint));
    }
    if (check.actual !== undefined) {
        lines.push(...labelled(DETAIL_INDENT, 'actual:', check.actual, paint));
    }
    if (check.hint !== undefined && check.hint !== '') {
        lines.push(...labelled(DETAIL_INDENT, 'hint:', check.hint, paint));
    }
    // Only a place in the student's own files: the exercise spec is the instructor's.
    if (check.location !== undefined) {
        const { file, line, column } = check.location;
        lines.push(...labelled(DETAIL_INDENT, 'at:', `${(0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .oneLine */ .TN)(file)}:${line}:${column}`, paint));
    }
    return lines;
}
/** `label value`, with continuation lines indented under the value's first line. */
function labelled(indent, label, raw, paint) {
    const width = Math.max(LABEL_WIDTH, label.length + 1);
    const [first = '', ...rest] = value(raw).split('\n');
    const continuation = indent + ' '.repeat(width);
    return [
        `${indent}${paint('dim', label.padEnd(width))}${first}`,
        ...rest.map((line) => continuation + line),
    ];
}
function block(indent, text) {
    return text.split('\n').map((line) => indent + line);
}
// An empty string is a meaningful value ("the program printed nothing") and must not look like
// a missing line.
function value(raw) {
    const text = clean(raw);
    if (text === '') {
        return '(empty)';
    }
    return (0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .truncateText */ .EJ)((0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .firstLines */ .UV)(text, MAX_VALUE_LINES), MAX_VALUE_CHARS);
}
function name(raw) {
    return (0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .defangWorkflowCommands */ .xD)((0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .truncateText */ .EJ)((0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .oneLine */ .TN)(raw), MAX_NAME_CHARS).replace(/\n/g, ' '));
}
function clean(raw) {
    return (0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .defangWorkflowCommands */ .xD)(raw);
}


/***/ })

};
;