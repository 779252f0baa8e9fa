// The sticky pull-request comment: the markdown report plus two hidden HTML comments, a marker
// that finds the comment again and the grade as data, so the next run can say what changed.
// Finding the comment (by marker *and* author) is the GitHub client's job; this file only builds
// and reads the text. The data read back from a comment is treated as untrusted: anyone who can
// edit the comment, or a bug in an older version, could have put anything there.

import { isRecord } from '../shared/records';
import { COMMENT_MAX_CHARS, type MarkdownOptions, renderMarkdown } from './markdown';
import type { CheckStatus, GradeReport } from './model';

/** What the next run needs to show the change: totals and each check's status. */
export interface GradeSnapshot {
  score: number;
  maxScore: number;
  /** The commit that was graded, when known. */
  sha?: string;
  /** Exercise id -> check name -> status. Names are cut to SNAPSHOT_NAME_CHARS. */
  checks: Record<string, Record<string, CheckStatus>>;
}

/** The change since the previous grade, as the markdown renderer shows it. */
export interface GradeChange {
  previousScore: number;
  previousMaxScore: number;
  previousSha?: string;
  /** Names of checks that pass now and did not before. */
  nowPassing: string[];
  /** Names of checks that passed before and do not now. */
  noLongerPassing: string[];
}

export interface CommentOptions extends Pick<MarkdownOptions, 'runUrl' | 'title'> {
  /** Tells apart several graders' comments on one pull request. */
  key: string;
  change?: GradeChange;
  /** The graded commit, stored with the grade. */
  sha?: string;
  maxChars?: number;
}

const MARKER_PREFIX = '<!-- docker-autograder:sticky ';
const DATA_PREFIX = '<!-- docker-autograder:grade v1 ';
const COMMENT_END = ' -->';
export const COMMENT_KEY = /^[A-Za-z0-9._-]{1,64}$/;

// Bounds for the embedded data, enforced when writing and again when reading.
const MAX_DATA_CHARS = 24_000;
const MAX_EXERCISES = 200;
const MAX_CHECKS = 2_000;
const SNAPSHOT_NAME_CHARS = 200;
const MAX_POINTS = 1e9;
const STATUSES: ReadonlySet<string> = new Set<CheckStatus>(['pass', 'fail', 'error', 'skipped']);
const SHA = /^[0-9a-f]{7,64}$/;

/** The first line of every sticky comment with this key. */
export function commentMarker(key: string): string {
  if (!COMMENT_KEY.test(key)) {
    throw new Error(`comment key must match ${COMMENT_KEY}`);
  }
  return `${MARKER_PREFIX}key=${key}${COMMENT_END}`;
}

/**
 * Whether a comment body starts with this key's marker. Anyone can copy the marker into a
 * comment of their own, so the caller must also check who wrote the comment.
 */
export function hasCommentMarker(body: string, key: string): boolean {
  return body.startsWith(`${commentMarker(key)}\n`) || body === commentMarker(key);
}

/** The full comment body, within `maxChars` (GitHub's limit by default). */
export function renderComment(report: GradeReport, options: CommentOptions): string {
  const maxChars = options.maxChars ?? COMMENT_MAX_CHARS;
  const marker = commentMarker(options.key);
  const data = encodeSnapshot(snapshotOf(report, options.sha));
  // Both hidden lines are ASCII, so characters and UTF-8 bytes agree for them.
  const overhead = marker.length + data.length + 2;
  const markdown = renderMarkdown(report, {
    maxChars: Math.max(0, maxChars - overhead),
    title: options.title,
    change: options.change,
    runUrl: options.runUrl,
  });
  return `${marker}\n${markdown}\n${data}`;
}

export function snapshotOf(report: GradeReport, sha?: string): GradeSnapshot {
  // Object.fromEntries defines keys as data, so a check named `__proto__` is just a name.
  let count = 0;
  const checks = Object.fromEntries(
    report.exercises.slice(0, MAX_EXERCISES).map((exercise) => {
      const kept = exercise.checks.slice(0, Math.max(0, MAX_CHECKS - count));
      count += kept.length;
      return [
        snapshotName(exercise.id),
        Object.fromEntries(kept.map((check) => [snapshotName(check.name), check.status])),
      ];
    }),
  );
  const snapshot: GradeSnapshot = { score: report.score, maxScore: report.maxScore, checks };
  if (sha !== undefined && SHA.test(sha)) snapshot.sha = sha;
  return snapshot;
}

/** The hidden line holding the grade: base64 cannot contain `-->`, so it cannot end the comment. */
export function encodeSnapshot(snapshot: GradeSnapshot): string {
  const encode = (value: GradeSnapshot): string =>
    `${DATA_PREFIX}${Buffer.from(JSON.stringify(value), 'utf8').toString('base64')}${COMMENT_END}`;
  const full = encode(snapshot);
  // Totals alone still show the change of score; per-check changes are a bonus.
  return full.length - DATA_PREFIX.length - COMMENT_END.length <= MAX_DATA_CHARS
    ? full
    : encode({ ...snapshot, checks: {} });
}

/** The grade embedded in a comment body, or undefined when there is none or it is not valid. */
export function readSnapshot(body: string): GradeSnapshot | undefined {
  const start = body.lastIndexOf(DATA_PREFIX);
  if (start < 0) return undefined;
  const end = body.indexOf(COMMENT_END, start + DATA_PREFIX.length);
  const encoded = body.slice(start + DATA_PREFIX.length, end < 0 ? undefined : end);
  if (end < 0 || encoded.length > MAX_DATA_CHARS || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) {
    return undefined;
  }
  try {
    return validSnapshot(JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')));
  } catch {
    return undefined;
  }
}

function validSnapshot(value: unknown): GradeSnapshot | undefined {
  if (!isRecord(value) || !isPoints(value.score) || !isPoints(value.maxScore) || !isRecord(value.checks)) {
    return undefined;
  }
  const exercises = Object.entries(value.checks);
  if (exercises.length > MAX_EXERCISES) return undefined;
  const checks: Array<[string, Record<string, CheckStatus>]> = [];
  let count = 0;
  for (const [id, statuses] of exercises) {
    if (id.length > SNAPSHOT_NAME_CHARS || !isRecord(statuses)) return undefined;
    const valid: Array<[string, CheckStatus]> = [];
    for (const [name, status] of Object.entries(statuses)) {
      count += 1;
      if (count > MAX_CHECKS || name.length > SNAPSHOT_NAME_CHARS || !isStatus(status)) return undefined;
      valid.push([name, status]);
    }
    checks.push([id, Object.fromEntries(valid)]);
  }
  const snapshot: GradeSnapshot = {
    score: value.score,
    maxScore: value.maxScore,
    checks: Object.fromEntries(checks),
  };
  if (typeof value.sha === 'string' && SHA.test(value.sha)) snapshot.sha = value.sha;
  return snapshot;
}

/** Compares a report with the previous grade; checks that are new or gone are not listed. */
export function gradeChange(report: GradeReport, previous: GradeSnapshot): GradeChange {
  const nowPassing: string[] = [];
  const noLongerPassing: string[] = [];
  for (const exercise of report.exercises) {
    const before = own(previous.checks, snapshotName(exercise.id));
    if (before === undefined) continue;
    for (const check of exercise.checks) {
      const was = own(before, snapshotName(check.name));
      if (was === undefined) continue;
      if (check.status === 'pass' && was !== 'pass') nowPassing.push(check.name);
      if (check.status !== 'pass' && was === 'pass') noLongerPassing.push(check.name);
    }
  }
  const change: GradeChange = {
    previousScore: previous.score,
    previousMaxScore: previous.maxScore,
    nowPassing,
    noLongerPassing,
  };
  if (previous.sha !== undefined) change.previousSha = previous.sha;
  return change;
}

// Object keys need no escaping in JSON, but an unbounded name would let one check fill the data.
function snapshotName(name: string): string {
  return name.slice(0, SNAPSHOT_NAME_CHARS);
}

// Plain lookups would find inherited members for names like `constructor`.
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function isPoints(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_POINTS;
}

function isStatus(value: unknown): value is CheckStatus {
  return typeof value === 'string' && STATUSES.has(value);
}
