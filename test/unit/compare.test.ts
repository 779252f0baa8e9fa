import { describe, expect, it } from 'vitest';
import { compare, describeMatcher } from '../../src/compare/compare';
import type { Matcher } from '../../src/spec/types';

describe('compare', () => {
  const cases: Array<[string, unknown, Matcher, boolean]> = [
    ['plain text equals, trailing newline ignored', 'OK\n', 'OK', true],
    ['plain text differs', 'OKAY', 'OK', false],
    ['CRLF equals LF', 'a\r\nb\r\n', 'a\nb', true],
    ['numbers', 0, 0, true],
    ['number vs string is not equal', 200, '200', false],
    ['lists equal in order', ['python3', 'app.py'], ['python3', 'app.py'], true],
    ['lists in another order differ', ['app.py', 'python3'], ['python3', 'app.py'], false],
    ['objects ignore key order', { a: 1, b: 2 }, { equals: { b: 2, a: 1 } }, true],
    ['substring', 'Hello from Flask!', { contains: 'Flask' }, true],
    ['missing substring', 'Hello', { contains: 'Flask' }, false],
    ['list contains an item', ['8080/tcp', '9090/tcp'], { contains: '8080/tcp' }, true],
    ['list contains every item', ['a', 'b'], { contains: ['a', 'c'] }, false],
    ['regex on text, multiline', 'x\nVERSION_ID="12"\n', { matches: '^VERSION_ID="12"$' }, true],
    ['regex on a list: some item', ['PATH=/bin', 'MY_VAR=1'], { matches: '^MY_VAR=' }, true],
    ['regex does not match undefined', undefined, { matches: '.*' }, false],
    ['not', 'root', { not: 'root' }, false],
    ['not with comparators', 'appuser', { not: { equals: 'root' } }, true],
    ['all comparators must hold', 'Hello Flask', { contains: 'Hello', not: { contains: 'Flask' } }, false],
    ['equals null', null, { equals: null }, true],
  ];
  it.each(cases)('%s', (_title, actual, matcher, pass) => {
    expect(compare(actual, matcher).pass).toBe(pass);
  });

  it('describes what was expected and what was seen', () => {
    const result = compare(['/bin/sh', '-c', '"python3 app.py"'], ['python3', 'app.py']);
    expect(result.expected).toBe('equals ["python3","app.py"]');
    expect(result.actual).toBe('["/bin/sh","-c","\\"python3 app.py\\""]');
    expect(compare('', 'OK').actual).toBe('(empty)');
    expect(describeMatcher({ contains: 'a', not: { matches: 'b+' } })).toBe(
      'contains "a" and not (matches /b+/)',
    );
  });
});
