"use strict";
exports.id = 794;
exports.ids = [794];
exports.modules = {

/***/ 2794:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   renderJson: () => (/* binding */ renderJson)
/* harmony export */ });
/** Pretty JSON in the model's key order, ending with a newline. */
function renderJson(report) {
    return `${escapeForDisplay(JSON.stringify(orderReport(report), null, 2))}\n`;
}
/**
 * The keys of T in the order the report shows them. The list must name every key of T, optional
 * ones included, so a field added to the model is a compile error here rather than silently
 * missing from the report.
 */
function keyOrder() {
    return (...keys) => keys;
}
/** value's keys in `keys`' order, each through its own rendering when it has one. */
function ordered(value, keys, render = {}) {
    // JSON.stringify drops the keys whose value is undefined.
    const out = {};
    for (const key of keys) {
        const field = value[key];
        const renderField = render[key];
        out[String(key)] =
            field === undefined || renderField === undefined
                ? field
                : renderField(field);
    }
    return out;
}
// biome-ignore format: a model's keys on one line, in the report's order
const REPORT_KEYS = keyOrder()('version', 'score', 'maxScore', 'passed', 'durationMs', 'exercises');
// biome-ignore format: a model's keys on one line, in the report's order
const EXERCISE_KEYS = keyOrder()('id', 'title', 'specFile', 'score', 'maxScore', 'status', 'durationMs', 'setupError', 'setupLog', 'firstError', 'checks');
// biome-ignore format: a model's keys on one line, in the report's order
const CHECK_KEYS = keyOrder()('name', 'status', 'points', 'maxPoints', 'message', 'expected', 'actual', 'hint', 'firstError', 'location', 'specLocation', 'causedBySetup', 'diff', 'hidden');
const LOCATION_KEYS = keyOrder()('file', 'line', 'column');
function orderLocation(location) {
    return ordered(location, LOCATION_KEYS);
}
function orderCheck(check) {
    return ordered(check, CHECK_KEYS, { location: orderLocation, specLocation: orderLocation });
}
function orderExercise(exercise) {
    return ordered(exercise, EXERCISE_KEYS, { checks: (checks) => checks.map(orderCheck) });
}
function orderReport(report) {
    return ordered(report, REPORT_KEYS, { exercises: (exercises) => exercises.map(orderExercise) });
}
// JSON.stringify already escapes C0 controls. What it leaves raw are C1 controls, invisible
// format characters (bidi overrides that reorder what a reader sees in an editor or terminal)
// and line/paragraph separators; and `##[`, which the Actions runner takes for a legacy workflow
// command anywhere in a printed line. Outside strings a JSON text is plain ASCII, so these can
// only occur inside strings, where a \uXXXX escape decodes to the very same data.
const DISPLAY_UNSAFE = /[\u007f-\u009f\p{Cf}\u2028\u2029]|##\[/gu;
function escapeForDisplay(json) {
    return json.replace(DISPLAY_UNSAFE, (match) => (match === '##[' ? '#\\u0023[' : unicodeEscape(match)));
}
function unicodeEscape(text) {
    let escaped = '';
    for (let index = 0; index < text.length; index += 1) {
        escaped += `\\u${text.charCodeAt(index).toString(16).padStart(4, '0')}`;
    }
    return escaped;
}


/***/ })

};
;