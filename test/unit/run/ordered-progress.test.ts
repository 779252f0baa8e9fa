import { describe, expect, it } from 'vitest';
import { orderedProgress } from '../../../src/run/ordered-progress';

describe('orderedProgress', () => {
  it('streams the first unfinished exercise and releases the others in order', () => {
    const out: string[] = [];
    const ordered = orderedProgress(
      { info: (line) => out.push(line), output: (line) => out.push(`| ${line}`) },
      3,
    );
    const [first, second, third] = [0, 1, 2].map((index) => ordered.progressFor(index));
    third?.info('3a');
    second?.info('2a');
    first?.info('1a');
    expect(out).toEqual(['1a']);
    third?.output('3b');
    ordered.finish(2);
    expect(out).toEqual(['1a']);
    first?.info('1b');
    ordered.finish(0);
    expect(out).toEqual(['1a', '1b', '2a']);
    second?.info('2b');
    expect(out).toEqual(['1a', '1b', '2a', '2b']);
    ordered.finish(1);
    expect(out).toEqual(['1a', '1b', '2a', '2b', '3a', '| 3b']);
  });
});
