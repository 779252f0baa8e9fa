// A container's memory limit, a number of bytes, compared with sizes written as a student writes
// them for `docker run -m`: `512m` is 512 MiB there, not 512 minutes. A size as the rest of the
// language writes it (`64MiB`, `50MB`) means what it means everywhere (compare/units.ts).
import { type Comparison, compare, type SelfComparingFact } from '../compare/compare';
import { formatBytes, parseQuantity } from '../compare/units';
import type { Comparators, Matcher } from '../spec/types';

/** Docker's own size syntax (`-m 512m`, `--memory 1g`): binary units, b k m g, any case. */
const DOCKER_SIZE = /^([0-9]+(?:\.[0-9]+)?)\s*([bkmg])?$/i;
const DOCKER_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** The bytes a size means: Docker's syntax first, then the language's; undefined for anything else. */
export function memoryBytes(size: string): number | undefined {
  const docker = DOCKER_SIZE.exec(size.trim());
  if (docker?.[1] !== undefined) {
    return Math.round(Number(docker[1]) * (DOCKER_UNITS[(docker[2] ?? 'b').toLowerCase()] ?? 1));
  }
  try {
    const quantity = parseQuantity(size);
    return quantity.kind === 'ms' ? undefined : quantity.value;
  } catch {
    return undefined;
  }
}

/** A matcher with every size in it as bytes; any other text stays (and then equals no number). */
function inBytes(matcher: Matcher): Matcher {
  if (typeof matcher === 'string') return memoryBytes(matcher) ?? matcher;
  if (matcher === null || typeof matcher !== 'object' || Array.isArray(matcher)) return matcher;
  const converted: Comparators = { ...matcher };
  if (matcher.equals !== undefined) converted.equals = inBytes(matcher.equals as Matcher);
  if (matcher.oneOf !== undefined) converted.oneOf = matcher.oneOf.map((item) => inBytes(item as Matcher));
  for (const bound of ['min', 'max'] as const) {
    const value = matcher[bound];
    if (typeof value === 'string') converted[bound] = memoryBytes(value) ?? value;
  }
  if (matcher.not !== undefined) converted.not = inBytes(matcher.not);
  return converted;
}

export class MemoryFact implements SelfComparingFact {
  constructor(readonly bytes: number) {}

  compareWith(matcher: Matcher): Comparison {
    const comparison = compare(this.bytes, inBytes(matcher));
    const shown = this.bytes === 0 ? 'unlimited' : formatBytes(this.bytes);
    return { ...comparison, actual: `${this.bytes} (${shown})` };
  }

  /** In the JSON report, the number of bytes. */
  toJSON(): number {
    return this.bytes;
  }
}
