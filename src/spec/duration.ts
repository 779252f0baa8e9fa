// Durations as exercises write them (`30s`, `500ms`, a number of seconds) and the limits each kind
// of wait or step may not exceed.
import type { Duration } from './types';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a schema-valid duration (a number is seconds). */
export function durationMs(value: Duration): number {
  if (typeof value === 'number') return Math.round(value * 1000);
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/.exec(value);
  const unit = match?.[2];
  if (!match || unit === undefined) throw new Error(`not a duration: ${value}`);
  return Math.round(Number(match[1]) * (UNIT_MS[unit] ?? 1));
}

export interface Limit {
  defaultMs: number;
  maxMs: number;
}

export const LIMITS = {
  exercise: { defaultMs: 10 * 60_000, maxMs: 60 * 60_000 },
  build: { defaultMs: 5 * 60_000, maxMs: 30 * 60_000 },
  wait: { defaultMs: 30_000, maxMs: 10 * 60_000 },
  exec: { defaultMs: 30_000, maxMs: 10 * 60_000 },
  http: { defaultMs: 10_000, maxMs: 2 * 60_000 },
  stop: { defaultMs: 10_000, maxMs: 5 * 60_000 },
  script: { defaultMs: 2 * 60_000, maxMs: 30 * 60_000 },
  compose: { defaultMs: 5 * 60_000, maxMs: 30 * 60_000 },
  composeWait: { defaultMs: 60_000, maxMs: 10 * 60_000 },
  reach: { defaultMs: 5_000, maxMs: 60_000 },
} satisfies Record<string, Limit>;

/** The effective timeout: the default when unset; over the maximum is a spec error found by validate. */
export function timeoutMs(value: Duration | undefined, limit: Limit): number {
  return value === undefined ? limit.defaultMs : Math.min(durationMs(value), limit.maxMs);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}
