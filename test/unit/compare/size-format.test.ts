import { describe, expect, it } from 'vitest';
import { compare } from '../../../src/compare/compare';
import { formatBytes } from '../../../src/compare/units';

describe('formatBytes', () => {
  it.each([
    [301_551_882, 'binary', '287.6 MiB'],
    [301_551_882, 'decimal', '301.6 MB'],
    [1024, 'binary', '1 KiB'],
    [1023, 'binary', '1023 bytes'],
    [1, 'binary', '1 byte'],
    [1.5 * 1024 ** 3, 'binary', '1.5 GiB'],
    [4 * 1000 ** 4, 'decimal', '4 TB'],
  ] as const)('%d bytes (%s) is %s', (bytes, units, expected) => {
    expect(formatBytes(bytes, units)).toBe(expected);
  });
});

describe('a size compared with min/max', () => {
  it('shows the observed bytes in the units of the bound', () => {
    expect(compare(301_551_882, { max: '250MB' })).toEqual({
      pass: false,
      expected: 'at most 250MB',
      actual: '301.6 MB',
    });
    expect(compare(301_551_882, { max: '250MiB' }).actual).toBe('287.6 MiB');
  });

  it('leaves plain numbers as they are', () => {
    expect(compare(3, { min: 5 }).actual).toBe('3');
  });
});
