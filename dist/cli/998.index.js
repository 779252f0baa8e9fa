"use strict";
exports.id = 998;
exports.ids = [998];
exports.modules = {

/***/ 2998:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   renderJunit: () => (/* binding */ renderJunit)
/* harmony export */ });
/* harmony import */ var _sanitize__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1211);

const MAX_NAME_CHARS = 500;
const MAX_MESSAGE_CHARS = 1_000;
const MAX_VALUE_CHARS = 16_000;
const MAX_LOG_CHARS = 32_000;
function renderJunit(report) {
    const counts = tally(report.exercises.flatMap((exercise) => exercise.checks));
    const lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        `<testsuites name="docker-autograder" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}" time="${seconds(report.durationMs)}">`,
        ...report.exercises.flatMap(renderSuite),
        '</testsuites>',
    ];
    return `${lines.join('\n')}\n`;
}
function renderSuite(exercise) {
    const counts = tally(exercise.checks);
    const name = attribute(exercise.id);
    const lines = [
        `  <testsuite name="${name}" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}" time="${seconds(exercise.durationMs)}" file="${attribute(exercise.specFile)}">`,
        '    <properties>',
        `      <property name="title" value="${attribute(exercise.title)}"/>`,
        `      <property name="score" value="${exercise.score}"/>`,
        `      <property name="maxScore" value="${exercise.maxScore}"/>`,
        `      <property name="status" value="${exercise.status}"/>`,
        '    </properties>',
        ...exercise.checks.map((check) => renderCase(check, name)),
    ];
    const log = [
        exercise.setupError === undefined ? '' : `setup error: ${(0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .stripUnsafe */ .P4)(exercise.setupError)}`,
        exercise.firstError === undefined ? '' : `first error: ${(0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .oneLine */ .TN)(exercise.firstError)}`,
        exercise.setupLog === undefined ? '' : (0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .truncateTextTail */ .q5)((0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .stripUnsafe */ .P4)(exercise.setupLog), MAX_LOG_CHARS),
    ]
        .filter((part) => part !== '')
        .join('\n\n');
    if (log !== '') {
        lines.push(`    <system-out>${text(log)}</system-out>`);
    }
    lines.push('  </testsuite>');
    return lines;
}
function renderCase(check, suite) {
    const hidden = check.hidden === true;
    const where = check.location === undefined || hidden
        ? ''
        : ` file="${attribute(check.location.file)}" line="${check.location.line}"`;
    const open = `    <testcase name="${attribute(check.name)}" classname="${suite}"${where}>`;
    const points = `${check.points}/${check.maxPoints} points`;
    if (check.status === 'pass') {
        return `    <testcase name="${attribute(check.name)}" classname="${suite}"${where}/>`;
    }
    if (check.status === 'skipped') {
        const message = hidden ? points : `${points}: ${check.message}`;
        return `${open}\n      <skipped message="${attribute(message, MAX_MESSAGE_CHARS)}"/>\n    </testcase>`;
    }
    const element = check.status === 'error' ? 'error' : 'failure';
    // A hidden check tells a dashboard that it failed and what it cost, nothing about why.
    if (hidden) {
        return `${open}\n      <${element} message="${points}" type="${check.status}"/>\n    </testcase>`;
    }
    const details = [
        check.message,
        check.firstError === undefined ? '' : `first error: ${(0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .oneLine */ .TN)(check.firstError)}`,
        check.expected === undefined
            ? ''
            : `expected: ${(0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .truncateText */ .EJ)((0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .stripUnsafe */ .P4)(check.expected), MAX_VALUE_CHARS)}`,
        check.actual === undefined ? '' : `actual: ${(0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .truncateText */ .EJ)((0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .stripUnsafe */ .P4)(check.actual), MAX_VALUE_CHARS)}`,
        check.hint === undefined || check.hint === '' ? '' : `hint: ${check.hint}`,
        check.location === undefined
            ? ''
            : `at: ${(0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .oneLine */ .TN)(check.location.file)}:${check.location.line}:${check.location.column}`,
    ]
        .filter((part) => part !== '')
        .join('\n');
    const message = attribute(`${points}: ${(0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .oneLine */ .TN)(check.message)}`, MAX_MESSAGE_CHARS);
    return `${open}\n      <${element} message="${message}" type="${check.status}">${text(details)}</${element}>\n    </testcase>`;
}
function tally(checks) {
    return {
        tests: checks.length,
        failures: checks.filter((check) => check.status === 'fail').length,
        errors: checks.filter((check) => check.status === 'error').length,
        skipped: checks.filter((check) => check.status === 'skipped').length,
    };
}
function seconds(ms) {
    return (ms / 1000).toFixed(3);
}
// XML 1.0 allows neither most C0 controls (stripUnsafe removes them) nor U+FFFE/U+FFFF.
function xmlSafe(raw) {
    return (0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .stripUnsafe */ .P4)(raw).replace(/[\ufffe\uffff]/g, '\ufffd');
}
function text(raw) {
    return escapeXml(xmlSafe(raw));
}
/** One-line attribute value; newlines would be normalised to spaces by XML readers anyway. */
function attribute(raw, maxChars = MAX_NAME_CHARS) {
    return escapeXml((0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .truncateText */ .EJ)((0,_sanitize__WEBPACK_IMPORTED_MODULE_0__/* .oneLine */ .TN)(xmlSafe(raw)), maxChars)).replace(/\t/g, '&#9;');
}
const XML_ENTITIES = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&quot;',
    "'": '&apos;',
};
// Test reporters often copy these texts into markdown (a check run, a comment): a zero-width space
// after an @ keeps a student's `@org/team` from notifying anyone there.
function escapeXml(value) {
    return value
        .replace(/[&<>"']/g, (char) => XML_ENTITIES[char] ?? char)
        .replace(/::/g, '&#58;:')
        .replace(/##\[/g, '#&#35;[')
        .replace(/@(?=[A-Za-z0-9])/g, '@&#8203;');
}


/***/ })

};
;