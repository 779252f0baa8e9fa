// JUnit XML for CI dashboards and test reporters: one <testsuite> per exercise, one <testcase>
// per check. It follows the common Jenkins/Surefire dialect (what test-reporter actions read).
// Text is escaped for XML and characters XML 1.0 cannot carry are removed; the file may also be
// printed to an Actions log (`--format junit` on stdout), so `::` and `##[` are encoded as
// character references, which every XML reader decodes back to the same text.
import type { CheckResult, ExerciseResult, GradeReport } from './model';
import { oneLine, stripUnsafe, truncateText, truncateTextTail } from './sanitize';

const MAX_NAME_CHARS = 500;
const MAX_MESSAGE_CHARS = 1_000;
const MAX_VALUE_CHARS = 16_000;
const MAX_LOG_CHARS = 32_000;

export function renderJunit(report: GradeReport): string {
  const counts = tally(report.exercises.flatMap((exercise) => exercise.checks));
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="docker-autograder" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}" time="${seconds(report.durationMs)}">`,
    ...report.exercises.flatMap(renderSuite),
    '</testsuites>',
  ];
  return `${lines.join('\n')}\n`;
}

function renderSuite(exercise: ExerciseResult): string[] {
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
    exercise.setupError === undefined ? '' : `setup error: ${stripUnsafe(exercise.setupError)}`,
    exercise.firstError === undefined ? '' : `first error: ${oneLine(exercise.firstError)}`,
    exercise.setupLog === undefined ? '' : truncateTextTail(stripUnsafe(exercise.setupLog), MAX_LOG_CHARS),
  ]
    .filter((part) => part !== '')
    .join('\n\n');
  if (log !== '') {
    lines.push(`    <system-out>${text(log)}</system-out>`);
  }
  lines.push('  </testsuite>');
  return lines;
}

function renderCase(check: CheckResult, suite: string): string {
  const hidden = check.hidden === true;
  const where =
    check.location === undefined || hidden
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
    check.firstError === undefined ? '' : `first error: ${oneLine(check.firstError)}`,
    check.expected === undefined
      ? ''
      : `expected: ${truncateText(stripUnsafe(check.expected), MAX_VALUE_CHARS)}`,
    check.actual === undefined ? '' : `actual: ${truncateText(stripUnsafe(check.actual), MAX_VALUE_CHARS)}`,
    check.hint === undefined || check.hint === '' ? '' : `hint: ${check.hint}`,
    check.location === undefined
      ? ''
      : `at: ${oneLine(check.location.file)}:${check.location.line}:${check.location.column}`,
  ]
    .filter((part) => part !== '')
    .join('\n');
  const message = attribute(`${points}: ${oneLine(check.message)}`, MAX_MESSAGE_CHARS);
  return `${open}\n      <${element} message="${message}" type="${check.status}">${text(details)}</${element}>\n    </testcase>`;
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function tally(checks: CheckResult[]): Counts {
  return {
    tests: checks.length,
    failures: checks.filter((check) => check.status === 'fail').length,
    errors: checks.filter((check) => check.status === 'error').length,
    skipped: checks.filter((check) => check.status === 'skipped').length,
  };
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

// XML 1.0 allows neither most C0 controls (stripUnsafe removes them) nor U+FFFE/U+FFFF.
function xmlSafe(raw: string): string {
  return stripUnsafe(raw).replace(/[\ufffe\uffff]/g, '\ufffd');
}

function text(raw: string): string {
  return escapeXml(xmlSafe(raw));
}

/** One-line attribute value; newlines would be normalised to spaces by XML readers anyway. */
function attribute(raw: string, maxChars = MAX_NAME_CHARS): string {
  return escapeXml(truncateText(oneLine(xmlSafe(raw)), maxChars)).replace(/\t/g, '&#9;');
}

const XML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

// Test reporters often copy these texts into markdown (a check run, a comment): a zero-width space
// after an @ keeps a student's `@org/team` from notifying anyone there.
function escapeXml(value: string): string {
  return value
    .replace(/[&<>"']/g, (char) => XML_ENTITIES[char] ?? char)
    .replace(/::/g, '&#58;:')
    .replace(/##\[/g, '#&#35;[')
    .replace(/@(?=[A-Za-z0-9])/g, '@&#8203;');
}
