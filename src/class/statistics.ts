// What a class's gradebook says about the exercises and their checks: per exercise, the
// distribution of scores; per check, how often it passes, how hard it is, and whether the
// students who do well on the rest of the exercise pass it more often than those who do not.
// Pure: numbers from rows. Rows with an infrastructure error are kept apart and counted in no
// statistic, since they are not grades.
import type { GradebookCheck, GradebookRow } from './gradebook';

/** A check passed by fewer than this share of the class is flagged. */
export const LOW_PASS_RATE = 0.2;
/** How many of the most common failure messages a check's statistics keep. */
export const TOP_FAILURES = 3;

export type CheckFlag = 'low pass rate' | 'negative discrimination';

export interface CheckStatistics {
  name: string;
  hidden: boolean;
  maxPoints: number;
  /** Students graded on this check (infrastructure errors left out). */
  students: number;
  passed: number;
  /** passed / students. */
  passRate: number;
  /**
   * The share of the check's points the class lost: 1 - mean(points / maxPoints). With no partial
   * credit this is 1 - passRate; for a check worth no points it is the share that did not pass.
   */
  difficulty: number;
  /**
   * Point-biserial correlation (Pearson's r) between passing the check (1/0) and the rest of the
   * exercise's score (the score without this check's points, so that a check does not correlate
   * with itself). Undefined when either does not vary (everyone passed, or all rest scores equal).
   */
  discrimination: number | undefined;
  /** The check's hint, as given to those who did not pass it. */
  hint?: string;
  /** The most common messages of those who did not pass, most frequent first. */
  failures: Array<{ message: string; count: number }>;
  flags: CheckFlag[];
}

export interface ExerciseStatistics {
  exercise: string;
  /** The exercise's full marks (the most common maxScore among its rows). */
  maxScore: number;
  /** Students with a grade for this exercise (infrastructure errors left out). */
  graded: number;
  /** Students whose grading of this exercise hit an infrastructure error. */
  errors: number;
  /** Students who passed every check. */
  passed: number;
  median: number | undefined;
  histogram: HistogramBin[];
  checks: CheckStatistics[];
}

export interface HistogramBin {
  /** Scores s with from <= s < to, or s <= to for the last bin. */
  from: number;
  to: number;
  count: number;
}

export interface ClassStatistics {
  students: string[];
  exercises: ExerciseStatistics[];
  /** Rows whose grading hit an infrastructure error: not grades, shown apart. */
  infraErrors: GradebookRow[];
}

export function classStatistics(rows: GradebookRow[]): ClassStatistics {
  const students = [...new Set(rows.map((row) => row.student))].sort(compareText);
  const exerciseIds = [...new Set(rows.map((row) => row.exercise))].sort(compareText);
  return {
    students,
    exercises: exerciseIds.map((id) =>
      exerciseStatistics(
        id,
        rows.filter((row) => row.exercise === id),
      ),
    ),
    infraErrors: rows.filter((row) => row.status === 'error'),
  };
}

function exerciseStatistics(exercise: string, rows: GradebookRow[]): ExerciseStatistics {
  const graded = rows.filter((row) => row.status !== 'error');
  const scores = graded.map((row) => row.score);
  const maxScore =
    mostCommon(graded.map((row) => row.maxScore)) ?? mostCommon(rows.map((row) => row.maxScore)) ?? 0;
  return {
    exercise,
    maxScore,
    graded: graded.length,
    errors: rows.length - graded.length,
    passed: graded.filter((row) => row.status === 'pass').length,
    median: median(scores),
    histogram: histogram(scores, maxScore),
    checks: checkNames(graded).map((name) => checkStatistics(name, graded)),
  };
}

/** Check names in the order the exercise lists them (the order of the rows' checks). */
function checkNames(rows: GradebookRow[]): string[] {
  const names: string[] = [];
  for (const row of rows) {
    for (const check of row.checks ?? []) if (!names.includes(check.name)) names.push(check.name);
  }
  return names;
}

function checkStatistics(name: string, rows: GradebookRow[]): CheckStatistics {
  const outcomes: Array<{ check: GradebookCheck; rest: number }> = [];
  for (const row of rows) {
    const check = row.checks?.find((candidate) => candidate.name === name);
    if (check !== undefined) outcomes.push({ check, rest: row.score - check.points });
  }
  const students = outcomes.length;
  const passed = outcomes.filter(({ check }) => check.status === 'pass').length;
  const passRate = students === 0 ? 0 : passed / students;
  const shares = outcomes.map(({ check }) =>
    check.maxPoints > 0 ? check.points / check.maxPoints : check.status === 'pass' ? 1 : 0,
  );
  const difficulty = students === 0 ? 0 : 1 - mean(shares);
  const discrimination = pearson(
    outcomes.map(({ check }) => (check.status === 'pass' ? 1 : 0)),
    outcomes.map(({ rest }) => rest),
  );
  const notPassed = outcomes.map(({ check }) => check).filter((check) => check.status !== 'pass');
  const hidden = outcomes.some(({ check }) => check.hidden === true);
  const flags: CheckFlag[] = [];
  if (students > 0 && passRate < LOW_PASS_RATE) flags.push('low pass rate');
  if (discrimination !== undefined && discrimination < 0) flags.push('negative discrimination');
  const hint = mostCommon(notPassed.flatMap((check) => (check.hint === undefined ? [] : [check.hint])));
  return {
    name,
    hidden,
    maxPoints: mostCommon(outcomes.map(({ check }) => check.maxPoints)) ?? 0,
    students,
    passed,
    passRate,
    difficulty,
    discrimination,
    ...(hint === undefined ? {} : { hint }),
    failures: hidden ? [] : counted(notPassed.map((check) => check.message)).slice(0, TOP_FAILURES),
    flags,
  };
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** One bin per whole score up to 10 points; past that (or with fractions of points), ten equal bins. */
export function histogram(scores: number[], maxScore: number): HistogramBin[] {
  const whole =
    maxScore <= 10 && Number.isInteger(maxScore) && scores.every((score) => Number.isInteger(score));
  const bins: HistogramBin[] = whole
    ? Array.from({ length: maxScore + 1 }, (_, score) => ({ from: score, to: score, count: 0 }))
    : Array.from({ length: 10 }, (_, index) => ({
        from: (maxScore * index) / 10,
        to: (maxScore * (index + 1)) / 10,
        count: 0,
      }));
  for (const score of scores) {
    const index = whole
      ? score
      : maxScore <= 0
        ? 0
        : Math.min(bins.length - 1, Math.max(0, Math.floor((score / maxScore) * 10)));
    const bin = bins[Math.min(bins.length - 1, Math.max(0, index))];
    if (bin !== undefined) bin.count += 1;
  }
  return bins;
}

/** Pearson's correlation; undefined when either list does not vary. */
export function pearson(xs: number[], ys: number[]): number | undefined {
  if (xs.length < 2 || xs.length !== ys.length) return undefined;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let index = 0; index < xs.length; index++) {
    const dx = (xs[index] as number) - mx;
    const dy = (ys[index] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  // Float noise from equal values must not count as variation.
  if (sxx < 1e-12 || syy < 1e-12) return undefined;
  const r = sxy / Math.sqrt(sxx * syy);
  // Nor must it make a correlation of nothing look negative (and so flagged).
  return Math.abs(r) < 1e-9 ? 0 : r;
}

function mean(values: number[]): number {
  return values.reduce((total, value) => total + value, 0) / values.length;
}

/** Distinct values with their counts, most frequent first, then in text order. */
function counted(values: string[]): Array<{ message: string; count: number }> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts.entries()]
    .map(([message, count]) => ({ message, count }))
    .sort((a, b) => b.count - a.count || compareText(a.message, b.message));
}

function mostCommon<T extends string | number>(values: T[]): T | undefined {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best: T | undefined;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
