// The class report in a real browser (Debian's chromium, driven by playwright-core), made from a
// real class regrade: the pack's solutions of two exercises (reference, alt-* and wrong-*)
// combined into six students' repositories, graded on the engine by `grade --submissions`.
// Every number the test expects is computed here from gradebook.json, not read from the page.
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gradebook, type GradebookRow, parseGradebook } from '../../../src/class/gradebook';
import { CLI, labelled, ROOT, runNode, tempDir } from '../../support/integration';

const CHROMIUM = '/usr/bin/chromium';
/**
 * The screenshot goes to test-results/ (ignored by git), so that a test run leaves the checkout as
 * it was; UPDATE_DOCS_SCREENSHOT=1 writes the one docs/class-grading.md shows instead.
 */
const SCREENSHOT = process.env.UPDATE_DOCS_SCREENSHOT
  ? path.join(ROOT, 'docs/class-report.png')
  : path.join(ROOT, 'test-results/class-report.png');
const EXERCISES = { hello: 'exercises/intro/hello-world', nginx: 'exercises/containers/run-nginx' };
/** Each student: which solution of each exercise is their repository's. */
const STUDENTS: Record<string, { hello: string; nginx: string }> = {
  'docker-ada': { hello: 'reference', nginx: 'reference' },
  'docker-bo': { hello: 'alt-container-run', nginx: 'alt-long-options' },
  'docker-cy': { hello: 'wrong-no-name', nginx: 'wrong-container-port' },
  'docker-dee': { hello: 'wrong-rm', nginx: 'wrong-defaults' },
  'docker-eve': { hello: 'reference', nginx: 'wrong-container-port' },
  'docker-fay': { hello: 'wrong-rm', nginx: 'reference' },
};
const INJECTED = '<script>window.__injected = 1</script><img src=x onerror="window.__injected = 2">';

/** The part of a DOM table row the test reads (the test's own types have no DOM). */
interface TableRow {
  cells: ArrayLike<{ textContent: string | null }>;
}

interface Watched {
  page: Page;
  requests: string[];
  console: string[];
}

/** A page that notes every request it makes and everything printed on its console. */
async function open(context: BrowserContext, file: string): Promise<Watched> {
  const page = await context.newPage();
  const requests: string[] = [];
  const printed: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => printed.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => printed.push(`pageerror: ${error.message}`));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, requests, console: printed };
}

// --- The statistics, computed here independently of src/class/statistics.ts -------------------

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const half = sorted.length / 2;
  return Number.isInteger(half)
    ? ((sorted[half - 1] ?? 0) + (sorted[half] ?? 0)) / 2
    : (sorted[Math.floor(half)] ?? 0);
}

/**
 * Point-biserial by its textbook formula, (M1 - M0) / s * sqrt(p q), with s the population
 * standard deviation of the rest scores: another route to the same number as Pearson's r.
 */
function pointBiserial(passed: boolean[], rest: number[]): number | undefined {
  const n = rest.length;
  const ones = rest.filter((_, index) => passed[index]);
  const zeros = rest.filter((_, index) => !passed[index]);
  if (ones.length === 0 || zeros.length === 0) return undefined;
  const mean = rest.reduce((a, b) => a + b, 0) / n;
  const s = Math.sqrt(rest.reduce((total, value) => total + (value - mean) ** 2, 0) / n);
  if (s < 1e-9) return undefined;
  const m1 = ones.reduce((a, b) => a + b, 0) / ones.length;
  const m0 = zeros.reduce((a, b) => a + b, 0) / zeros.length;
  const p = ones.length / n;
  return ((m1 - m0) / s) * Math.sqrt(p * (1 - p));
}

interface ExpectedCheck {
  exercise: string;
  name: string;
  passed: number;
  graded: number;
  flagged: boolean;
}

function expectedChecks(book: Gradebook): ExpectedCheck[] {
  const graded = book.rows.filter((row) => row.status !== 'error');
  const result: ExpectedCheck[] = [];
  for (const exercise of [...new Set(graded.map((row) => row.exercise))]) {
    const rows = graded.filter((row) => row.exercise === exercise);
    for (const name of rows[0]?.checks?.map((check) => check.name) ?? []) {
      const outcomes = rows.map((row) => {
        const check = row.checks?.find((candidate) => candidate.name === name);
        return { passed: check?.status === 'pass', rest: row.score - (check?.points ?? 0) };
      });
      const passed = outcomes.filter((outcome) => outcome.passed).length;
      const r = pointBiserial(
        outcomes.map((outcome) => outcome.passed),
        outcomes.map((outcome) => outcome.rest),
      );
      result.push({
        exercise,
        name,
        passed,
        graded: rows.length,
        flagged: passed / rows.length < 0.2 || (r !== undefined && r < -1e-9),
      });
    }
  }
  return result;
}

function cellText(row: GradebookRow): string {
  return row.status === 'error' ? 'error' : `${row.score}/${row.maxScore}`;
}

// -----------------------------------------------------------------------------------------------

describe('class report in a browser', () => {
  let work: string;
  let book: Gradebook;
  let userDataDir: string;
  let context: BrowserContext;
  const runIds = new Set<string>();

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: run scripts/provision-browser.sh (npm test does)`);
    }
    work = tempDir('class-report');
    for (const [student, solutions] of Object.entries(STUDENTS)) {
      const repo = path.join(work, 'submissions', student);
      await mkdir(repo, { recursive: true });
      for (const [exercise, solution] of Object.entries(solutions)) {
        // A solution folder holds the exercise's submission folder: the student's repository's.
        const dir = path.join(ROOT, EXERCISES[exercise as keyof typeof EXERCISES], 'solutions', solution);
        await cp(dir, repo, { recursive: true, filter: (source) => path.basename(source) !== 'expect.yaml' });
      }
    }
    const run = await runNode(
      CLI,
      [
        'grade',
        ...Object.values(EXERCISES).map((dir) => path.join(ROOT, dir)),
        '--submissions',
        'submissions',
        '--gradebook',
        'gradebook',
        '--concurrency',
        '2',
      ],
      // The pack's quiz hashes are made with its public selftest key.
      { AUTOGRADER_ANSWERS_KEY: 'selftest-answers-key-not-secret' },
      work,
    );
    for (const match of run.stderr.matchAll(/│ Docker engine .* run (\S+)/g)) runIds.add(match[1] ?? '');
    expect(run.code, run.stderr).toBe(0);
    const file = path.join(work, 'gradebook/gradebook.json');
    book = parseGradebook(await readFile(file, 'utf8'), file);
    userDataDir = await mkdtemp(path.join(os.tmpdir(), 'class-report-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 600_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir !== undefined) await rm(userDataDir, { recursive: true, force: true });
    for (const id of runIds) expect(await labelled(`org.docker-autograder.run=${id}`)).toEqual([]);
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it("shows the gradebook's numbers, flags the checks the statistics flag, fetches nothing and prints nothing", async () => {
    // The class is what the pack says it is: reference and alt-* full marks, wrong-* not.
    const ada = book.rows.filter((row) => row.student === 'docker-ada');
    expect(ada.map((row) => row.score)).toEqual(ada.map((row) => row.maxScore));
    expect(book.rows.some((row) => row.student === 'docker-cy' && row.status === 'fail')).toBe(true);

    const file = path.join(work, 'gradebook/class-report.html');
    const { page, requests, console: printed } = await open(context, file);

    // Summary: graded students and median of each exercise.
    for (const exercise of [...new Set(book.rows.map((row) => row.exercise))]) {
      const rows = book.rows.filter((row) => row.exercise === exercise && row.status !== 'error');
      const card = page.locator(`section.exercise-summary[data-exercise="${exercise}"]`);
      expect(await card.locator('.graded').textContent()).toBe(String(rows.length));
      const median = medianOf(rows.map((row) => row.score));
      expect(await card.locator('.median').textContent()).toBe(`${median}/${rows[0]?.maxScore}`);
      const bars = await card
        .locator('g.bin')
        .evaluateAll((nodes) => nodes.map((node) => Number(node.getAttribute('data-count'))));
      expect(bars.reduce((a, b) => a + b, 0)).toBe(rows.length);
    }

    // Grid: every student's every exercise, as text.
    const exercises = await page.locator('#grid thead th').allTextContents();
    const grid = await page
      .locator('#grid tbody tr')
      .evaluateAll((rows) =>
        rows.map((row) => Array.from((row as unknown as TableRow).cells, (cell) => cell.textContent ?? '')),
      );
    for (const [student, ...cells] of grid) {
      exercises.slice(1, -1).forEach((exercise, index) => {
        const row = book.rows.find(
          (candidate) => candidate.student === student && candidate.exercise === exercise,
        );
        expect(row, `${student} ${exercise}`).toBeDefined();
        if (row !== undefined) expect(cells[index]).toBe(cellText(row));
      });
    }
    expect(grid.map((row) => row[0])).toEqual(Object.keys(STUDENTS).sort());

    // Checks: pass rates as k/n, and the flagged ones are those the statistics flag.
    const expected = expectedChecks(book);
    const shown = await page.locator('table.checks tr.check').evaluateAll((rows) =>
      rows.map((row) => ({
        exercise: row.closest('table')?.getAttribute('data-exercise') ?? '',
        name: row.querySelector('.name')?.textContent ?? '',
        passRate: row.querySelector('.pass-rate')?.textContent ?? '',
        flagged: row.classList.contains('flagged') && (row.querySelector('.flags')?.textContent ?? '') !== '',
      })),
    );
    expect(shown.map(({ exercise, name }) => `${exercise}: ${name}`).sort()).toEqual(
      expected.map(({ exercise, name }) => `${exercise}: ${name}`).sort(),
    );
    for (const check of expected) {
      const row = shown.find(
        (candidate) => candidate.exercise === check.exercise && candidate.name === check.name,
      );
      expect(row?.passRate, check.name).toMatch(new RegExp(`^${check.passed}/${check.graded} `));
      expect(row?.flagged, `${check.exercise}: ${check.name} flagged`).toBe(check.flagged);
    }
    // The wrong-* solutions make a class in which something is worth a look.
    expect(expected.some((check) => check.flagged)).toBe(true);

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // A PNG of the whole page: its signature, and more than a blank viewport's few bytes.
    const png = await readFile(SCREENSHOT);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(printed).toEqual([]);
  });

  it('sorts the grid by the header clicked', async () => {
    const file = path.join(work, 'gradebook/class-report.html');
    const { page, console: printed } = await open(context, file);
    const exercise = 'containers/run-nginx';
    const share = (student: string) => {
      const row = book.rows.find(
        (candidate) => candidate.student === student && candidate.exercise === exercise,
      );
      return row === undefined || row.status === 'error' ? -1 : row.score / row.maxScore;
    };
    const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const students = Object.keys(STUDENTS);
    const ascending = [...students].sort((a, b) => share(a) - share(b) || byName(a, b));
    const descending = [...students].sort((a, b) => share(b) - share(a) || byName(a, b));
    const order = () => page.locator('#grid tbody tr th').allTextContents();

    const header = page.locator('#grid thead th', { hasText: exercise }).locator('button');
    await header.click();
    expect(await order()).toEqual(ascending);
    await header.click();
    expect(await order()).toEqual(descending);
    // Another column's first click sorts ascending, whatever it was sorted by before.
    const student = page.locator('#grid thead th', { hasText: 'Student' }).locator('button');
    await student.click();
    expect(await order()).toEqual([...students].sort(byName));
    await student.click();
    expect(await order()).toEqual([...students].sort(byName).reverse());
    expect(printed).toEqual([]);
  });

  it("keeps a student's <script> in a check message as text", async () => {
    const row = book.rows.find((candidate) => candidate.status === 'fail' && candidate.checks !== undefined);
    const failed = row?.checks?.find((check) => check.status === 'fail' && check.hidden !== true);
    expect(failed).toBeDefined();
    if (row === undefined || failed === undefined) return;
    const hostile: Gradebook = {
      version: 1,
      rows: book.rows.map((candidate) =>
        candidate === row
          ? {
              ...row,
              student: `${row.student}<script>window.__injected = 3</script>`,
              checks: row.checks?.map((check) =>
                check === failed ? { ...check, message: INJECTED } : check,
              ),
            }
          : candidate,
      ),
    };
    const source = path.join(work, 'hostile.json');
    await writeFile(source, JSON.stringify(hostile));
    const out = path.join(work, 'hostile.html');
    const made = await runNode(CLI, ['report', source, '--out', out], {}, work);
    expect(made.code, made.stderr).toBe(0);

    const { page, requests, console: printed } = await open(context, out);
    expect(await page.evaluate(() => (globalThis as { __injected?: number }).__injected)).toBeUndefined();
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('img').count()).toBe(0);
    const messages = await page
      .locator(`table.checks tr.check[data-check="${failed.name.replaceAll('"', '\\"')}"] .msg`)
      .allTextContents();
    expect(messages).toContain(INJECTED);
    expect(await page.locator('#grid tbody th').allTextContents()).toContain(
      `${row.student}<script>window.__injected = 3</script>`,
    );
    expect(requests).toEqual([pathToFileURL(out).href]);
    expect(printed).toEqual([]);
  });
});
