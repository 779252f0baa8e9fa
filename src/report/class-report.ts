// class-report.html: what a class's gradebook says, for the instructor, in one file that opens
// from disk. No network: styles and the one script (sorting the grid) are inline, and the page's
// Content-Security-Policy allows exactly those two by hash and nothing else (no other script, no
// connection, no image, font, frame or form). Everything that came from a student (folder names,
// check messages) is escaped: it is text, never markup.
import { createHash } from 'node:crypto';
import type { Gradebook, GradebookRow } from '../class/gradebook';
import {
  type CheckStatistics,
  type ClassStatistics,
  classStatistics,
  type ExerciseStatistics,
  LOW_PASS_RATE,
} from '../class/statistics';

export interface ClassReportOptions {
  /** Shown in the title: what was graded (e.g. the gradebook's folder). */
  title?: string;
  /** When the report was made; omitted, the page says nothing of time (reproducible output). */
  generatedAt?: Date;
}

/** Grid colours (viridis: ordered by lightness, told apart with any colour vision). */
export const SCORE_PALETTE = [
  { upTo: 0.2, background: '#440154', text: '#ffffff' },
  { upTo: 0.4, background: '#3b528b', text: '#ffffff' },
  { upTo: 0.6, background: '#21918c', text: '#ffffff' },
  { upTo: 0.8, background: '#5ec962', text: '#000000' },
  { upTo: 1, background: '#b5de2b', text: '#000000' },
] as const;
const FULL_MARKS = { background: '#fde725', text: '#000000' };

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5rem; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #ddd; padding-bottom: .25rem; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
.muted { color: #555; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
th button { font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; color: inherit; }
th button::after { content: " \\2195"; color: #888; }
th[aria-sort="ascending"] button::after { content: " \\2191"; color: #000; }
th[aria-sort="descending"] button::after { content: " \\2193"; color: #000; }
.summary { display: flex; flex-wrap: wrap; gap: 1rem; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: .75rem 1rem; min-width: 17rem; }
.card h3 { margin-top: 0; }
.card dl { display: grid; grid-template-columns: auto auto; gap: .1rem 1rem; margin: 0 0 .5rem; }
.card dt { color: #555; }
.card dd { margin: 0; font-variant-numeric: tabular-nums; }
td.cell { text-align: center; font-variant-numeric: tabular-nums; font-weight: 600; min-width: 4.5rem; }
${SCORE_PALETTE.map(
  (colour, index) => `.s${index} { background: ${colour.background}; color: ${colour.text}; }`,
).join('\n')}
.s5 { background: ${FULL_MARKS.background}; color: ${FULL_MARKS.text}; }
.err { background: repeating-linear-gradient(45deg, #ddd, #ddd 4px, #f4f4f4 4px, #f4f4f4 8px); color: #000; }
.none { background: #fff; color: #777; }
.legend { display: flex; flex-wrap: wrap; gap: .5rem; margin: .25rem 0; padding: 0; list-style: none; }
.legend li { padding: .1rem .5rem; border: 1px solid #999; border-radius: 3px; }
tr.flagged td { background: #fff4ce; }
.flag { font-weight: bold; color: #7a4100; white-space: nowrap; }
.failures { margin: 0; padding-left: 1.1rem; }
.failures .count { font-weight: 600; font-variant-numeric: tabular-nums; }
code, .msg { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; white-space: pre-wrap; word-break: break-word; }
.errors td { background: #fafafa; }
svg text { font: 11px system-ui, sans-serif; fill: #1b1b1b; }
`;

/** Sorts the student × exercise grid on a header's click; numbers by value, names as text. */
const SCRIPT = `(function () {
  'use strict';
  var table = document.getElementById('grid');
  if (!table) return;
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  headers.forEach(function (th, column) {
    var button = th.querySelector('button');
    if (!button) return;
    button.addEventListener('click', function () {
      var ascending = th.getAttribute('aria-sort') !== 'ascending';
      headers.forEach(function (other) { other.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var numeric = th.getAttribute('data-type') === 'number';
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var key = function (row, index) { return row.cells[index].getAttribute('data-sort') || ''; };
      rows.sort(function (a, b) {
        var x = key(a, column);
        var y = key(b, column);
        var order = numeric ? Number(x) - Number(y) : (x < y ? -1 : x > y ? 1 : 0);
        if (!ascending) order = -order;
        if (order === 0) order = key(a, 0) < key(b, 0) ? -1 : key(a, 0) > key(b, 0) ? 1 : 0;
        return order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The page's policy: the inline style and script above, by hash; nothing else at all. */
export const CLASS_REPORT_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "img-src 'none'",
  "connect-src 'none'",
  "font-src 'none'",
  "frame-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function renderClassReport(book: Gradebook, options: ClassReportOptions = {}): string {
  const stats = classStatistics(book.rows);
  const title = options.title === undefined ? 'Class report' : `Class report: ${options.title}`;
  const graded = book.rows.filter((row) => row.status !== 'error').length;
  const missingChecks = book.rows.some((row) => row.status !== 'error' && row.checks === undefined);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CLASS_REPORT_CSP)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="muted">${stats.students.length} students, ${stats.exercises.length} exercises, ${graded} grades${
    stats.infraErrors.length > 0
      ? `, ${stats.infraErrors.length} infrastructure errors (not grades, listed at the end)`
      : ''
  }${options.generatedAt === undefined ? '' : `; made ${escapeHtml(options.generatedAt.toISOString())}`}.</p>
${missingChecks ? '<p class="flag">Some rows come from a gradebook written before checks were kept: their checks are not in the statistics.</p>\n' : ''}${renderSummary(stats)}
${renderGrid(stats, book.rows)}
${renderChecks(stats)}
${renderInfraErrors(stats)}
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function renderSummary(stats: ClassStatistics): string {
  const cards = stats.exercises.map(
    (exercise) => `<section class="card exercise-summary" data-exercise="${escapeHtml(exercise.exercise)}">
<h3>${escapeHtml(exercise.exercise)}</h3>
<dl>
<dt>Students graded</dt><dd class="graded">${exercise.graded}</dd>
<dt>Passed</dt><dd class="passed">${exercise.passed}</dd>
<dt>Median score</dt><dd class="median">${exercise.median === undefined ? '–' : `${formatNumber(exercise.median)}/${formatNumber(exercise.maxScore)}`}</dd>
<dt>Infrastructure errors</dt><dd class="errors">${exercise.errors}</dd>
</dl>
${renderHistogram(exercise)}
</section>`,
  );
  return `<h2>Exercises</h2>\n<div class="summary">\n${cards.join('\n')}\n</div>`;
}

/** Scores of the class as bars: one per bin, its count above it, the bin's scores below. */
function renderHistogram(exercise: ExerciseStatistics): string {
  const width = 260;
  const height = 120;
  const top = 16;
  const bottom = 20;
  const bins = exercise.histogram;
  const highest = Math.max(1, ...bins.map((bin) => bin.count));
  const slot = width / Math.max(1, bins.length);
  const barWidth = Math.max(2, slot - 4);
  const plot = height - top - bottom;
  const bars = bins.map((bin, index) => {
    const barHeight = (bin.count / highest) * plot;
    const x = index * slot + (slot - barWidth) / 2;
    const y = top + plot - barHeight;
    const label =
      bin.from === bin.to ? formatNumber(bin.from) : `${formatNumber(bin.from)}–${formatNumber(bin.to)}`;
    const centre = (x + barWidth / 2).toFixed(1);
    return `<g class="bin" data-from="${bin.from}" data-to="${bin.to}" data-count="${bin.count}"><title>${escapeHtml(
      `score ${label}: ${bin.count} student${bin.count === 1 ? '' : 's'}`,
    )}</title><rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${barHeight.toFixed(
      1,
    )}" fill="#3b528b"></rect><text x="${centre}" y="${(y - 3).toFixed(1)}" text-anchor="middle">${
      bin.count > 0 ? bin.count : ''
    }</text><text x="${centre}" y="${height - 5}" text-anchor="middle">${escapeHtml(
      bins.length > 11 ? '' : bin.from === bin.to ? label : formatNumber(bin.from),
    )}</text></g>`;
  });
  return `<svg class="histogram" role="img" aria-label="${escapeHtml(
    `Histogram of ${exercise.exercise}'s scores`,
  )}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg"><line x1="0" y1="${
    top + plot
  }" x2="${width}" y2="${top + plot}" stroke="#888"></line>${bars.join('')}</svg>`;
}

function renderGrid(stats: ClassStatistics, rows: GradebookRow[]): string {
  const byKey = new Map(rows.map((row) => [`${row.student}\u0000${row.exercise}`, row]));
  const head = [
    '<th data-type="text" aria-sort="ascending"><button type="button">Student</button></th>',
    ...stats.exercises.map(
      (exercise) =>
        `<th class="num" data-type="number"><button type="button">${escapeHtml(exercise.exercise)}</button></th>`,
    ),
    '<th class="num" data-type="number"><button type="button">Total</button></th>',
  ];
  const body = stats.students.map((student) => {
    let score = 0;
    let maxScore = 0;
    const cells = stats.exercises.map((exercise) => {
      const row = byKey.get(`${student}\u0000${exercise.exercise}`);
      if (row === undefined) return '<td class="cell none" data-sort="-2">–</td>';
      if (row.status === 'error') return '<td class="cell err" data-sort="-1">error</td>';
      score += row.score;
      maxScore += row.maxScore;
      const share = row.maxScore > 0 ? row.score / row.maxScore : row.status === 'pass' ? 1 : 0;
      return `<td class="cell ${scoreClass(share)}" data-sort="${share}">${formatNumber(row.score)}/${formatNumber(
        row.maxScore,
      )}</td>`;
    });
    const total = maxScore > 0 ? score / maxScore : -1;
    return `<tr><th scope="row" data-sort="${escapeHtml(student)}">${escapeHtml(student)}</th>${cells.join(
      '',
    )}<td class="num total" data-sort="${total}">${maxScore > 0 ? `${formatNumber(score)}/${formatNumber(maxScore)}` : '–'}</td></tr>`;
  });
  const legend = [
    ...SCORE_PALETTE.map(
      (colour, index) =>
        `<li class="s${index}">${index === 0 ? 'under' : 'from'} ${Math.round((index === 0 ? colour.upTo : (SCORE_PALETTE[index - 1]?.upTo ?? 0)) * 100)}%${
          index === 0 ? '' : ` to under ${Math.round(colour.upTo * 100)}%`
        }</li>`,
    ),
    '<li class="s5">full marks</li>',
    '<li class="err">error: infrastructure, not a grade</li>',
  ];
  return `<h2>Students</h2>
<p class="muted">Score and full marks of each exercise; click a column's header to sort by it.</p>
<ul class="legend">${legend.join('')}</ul>
<table id="grid" class="grid">
<thead><tr>${head.join('')}</tr></thead>
<tbody>
${body.join('\n')}
</tbody>
</table>`;
}

function scoreClass(share: number): string {
  if (share >= 1) return 's5';
  const index = SCORE_PALETTE.findIndex((colour) => share < colour.upTo);
  return `s${index === -1 ? SCORE_PALETTE.length - 1 : index}`;
}

function renderChecks(stats: ClassStatistics): string {
  const sections = stats.exercises.map((exercise) => {
    const rows = exercise.checks.map(renderCheckRow);
    return `<h3>${escapeHtml(exercise.exercise)}</h3>
<table class="checks" data-exercise="${escapeHtml(exercise.exercise)}">
<thead><tr><th>Check</th><th class="num">Points</th><th class="num">Pass rate</th><th class="num">Difficulty</th><th class="num">Discrimination</th><th>Hint</th><th>Most common failures</th><th>Look at this check</th></tr></thead>
<tbody>
${rows.length === 0 ? '<tr><td colspan="8">No checks were kept for this exercise.</td></tr>' : rows.join('\n')}
</tbody>
</table>`;
  });
  return `<h2>Checks</h2>
<p class="muted">Pass rate: students who passed the check, of those graded. Difficulty: the share of the check's points the class lost.
Discrimination: point-biserial correlation between passing the check and the rest of the exercise's score
(from −1 to 1; near 0 or below, the check does not tell strong from weak work: often a broken check, or one that wants a spelling instead of a meaning).
Checks passed by under ${Math.round(LOW_PASS_RATE * 100)}% of the class, or with a negative discrimination, are flagged.</p>
${sections.join('\n')}`;
}

function renderCheckRow(check: CheckStatistics): string {
  const failures = check.hidden
    ? '<span class="muted">hidden check: only outcomes are kept</span>'
    : check.failures.length === 0
      ? ''
      : `<ul class="failures">${check.failures
          .map(
            (failure) =>
              `<li><span class="count">${failure.count}×</span> <span class="msg">${
                failure.message === ''
                  ? '<span class="muted">(no message)</span>'
                  : escapeHtml(failure.message)
              }</span></li>`,
          )
          .join('')}</ul>`;
  const flags = check.flags.map((flag) => `<span class="flag">⚠ ${escapeHtml(flag)}</span>`).join('<br>');
  return `<tr class="check${check.flags.length > 0 ? ' flagged' : ''}" data-check="${escapeHtml(check.name)}">
<td class="name">${escapeHtml(check.name)}</td><td class="num points">${formatNumber(check.maxPoints)}</td><td class="num pass-rate">${check.passed}/${check.students} (${Math.round(
    check.passRate * 100,
  )}%)</td><td class="num difficulty">${check.difficulty.toFixed(2)}</td><td class="num discrimination">${
    check.discrimination === undefined ? '–' : check.discrimination.toFixed(2)
  }</td><td class="hint">${check.hint === undefined ? '' : escapeHtml(check.hint)}</td><td>${failures}</td><td class="flags">${flags}</td></tr>`;
}

function renderInfraErrors(stats: ClassStatistics): string {
  if (stats.infraErrors.length === 0) {
    return '<h2>Infrastructure errors</h2>\n<p class="muted">None: every grading reached a grade.</p>';
  }
  const rows = stats.infraErrors.map(
    (row) =>
      `<tr><td>${escapeHtml(row.student)}</td><td>${escapeHtml(row.exercise)}</td><td class="msg">${escapeHtml(
        row.error ?? '',
      )}</td></tr>`,
  );
  return `<h2>Infrastructure errors</h2>
<p class="muted">The engine or the grader failed, not the student: these are not grades and count in no statistic above. Run the regrade again to grade them.</p>
<table class="errors"><thead><tr><th>Student</th><th>Exercise</th><th>What broke</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>`;
}

/** Whole numbers as they are, others to at most two decimals. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
