// Bounds of `min` / `max`: a plain number, a size or a duration. Facts that are sizes are
// numbers of bytes and facts that are durations are numbers of milliseconds, so a bound is
// turned into the same unit and the comparison stays between two numbers.
import type { SizeOrNumber } from '../spec/types';

/**
 * Decimal units are powers of 1000 and binary units powers of 1024, as `docker images` and
 * the IEC agree: 50MB = 50,000,000 bytes, 1.5GiB = 1,610,612,736 bytes. The unit's case does
 * not matter ("50mb" = "50MB"), except that a lone "m" is minutes and "ms" milliseconds.
 */
const BYTES: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const MILLISECONDS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The schema's sizeOrNumber pattern, with the parts captured. */
const QUANTITY = /^([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtT]i?[bB]|[bB]|ms|s|m|h)$/;

export interface Quantity {
  value: number;
  kind: 'number' | 'bytes' | 'ms';
}

/** A bound as a number of bytes (sizes), milliseconds (durations), or itself (numbers). */
export function parseQuantity(bound: SizeOrNumber): Quantity {
  if (typeof bound === 'number') return { value: bound, kind: 'number' };
  const match = QUANTITY.exec(bound.trim());
  const amount = match?.[1];
  const unit = match?.[2];
  if (amount === undefined || unit === undefined) {
    // The schema admits nothing else; a plain number in a string is still understood.
    const plain = Number(bound);
    if (bound.trim() !== '' && Number.isFinite(plain)) return { value: plain, kind: 'number' };
    throw new Error(`not a number, size or duration: ${bound}`);
  }
  const duration = MILLISECONDS[unit];
  if (duration !== undefined) return { value: Number(amount) * duration, kind: 'ms' };
  const bytes = BYTES[unit.toLowerCase()];
  if (bytes === undefined) throw new Error(`unknown unit in ${bound}`);
  return { value: Math.round(Number(amount) * bytes), kind: 'bytes' };
}

const BINARY_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];
const DECIMAL_UNITS = ['kB', 'MB', 'GB', 'TB'];

/**
 * A number of bytes for people: `287.6 MiB` (binary, the default) or `301.6 MB` (decimal, for a
 * bound written in decimal units, so that the two compare at a glance). Under 1 KiB / 1 kB:
 * `512 bytes`.
 */
export function formatBytes(bytes: number, units: 'binary' | 'decimal' = 'binary'): string {
  const base = units === 'binary' ? 1024 : 1000;
  const names = units === 'binary' ? BINARY_UNITS : DECIMAL_UNITS;
  if (!Number.isFinite(bytes) || Math.abs(bytes) < base) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes / base;
  let index = 0;
  while (Math.abs(value) >= base && index < names.length - 1) {
    value /= base;
    index += 1;
  }
  return `${Number(value.toFixed(1))} ${names[index]}`;
}
