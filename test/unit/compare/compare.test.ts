import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compare, describeMatcher } from '../../../src/compare/compare';
import { parseQuantity } from '../../../src/compare/units';
import type { Matcher } from '../../../src/spec/types';

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

describe('comparators of the full language', () => {
  const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');
  const cases: Array<[string, unknown, Matcher, boolean]> = [
    // includes: lists only, every item given
    ['includes an item', ['nginx', 'flask-app'], { includes: 'nginx' }, true],
    ['includes every item', ['nginx', 'flask-app', 'x'], { includes: ['nginx', 'flask-app'] }, true],
    ['includes misses one', ['nginx'], { includes: ['nginx', 'flask-app'] }, false],
    ['includes is not substring matching', 'nginx and flask', { includes: 'nginx' }, false],
    ['includes an object item', [{ a: 1, b: 2 }], { includes: { b: 2, a: 1 } }, true],
    // oneOf
    ['oneOf text', 'healthy\n', { oneOf: ['starting', 'healthy'] }, true],
    ['oneOf misses', 'unhealthy', { oneOf: ['starting', 'healthy'] }, false],
    ['oneOf numbers', 0, { oneOf: [0, 137] }, true],
    ['oneOf never mixes number and text', '0', { oneOf: [0] }, false],
    // min / max on numbers, sizes, durations
    ['min on a number', 3, { min: 2 }, true],
    ['min on a number, equal', 2, { min: 2 }, true],
    ['max on a number fails', 3, { max: 2 }, false],
    ['max decimal size', 49_000_000, { max: '50MB' }, true],
    ['max decimal size exceeded', 50_000_001, { max: '50MB' }, false],
    ['max binary size', 50 * 1024 * 1024, { max: '50MiB' }, true],
    ['max binary size is larger than decimal', 52_000_000, { max: '50MiB' }, true],
    ['min fractional binary size', 1.5 * 1024 ** 3, { min: '1.5GiB' }, true],
    ['size unit case and a space', 999, { max: '1 kb' }, true],
    ['size in bytes', 11, { max: '10B' }, false],
    ['duration bound in ms', 29_000, { max: '30s' }, true],
    ['duration bound in minutes', 120_001, { max: '2m' }, false],
    ['duration bound in ms units', 400, { min: '500ms' }, false],
    ['min and max together', 5, { min: 1, max: 10 }, true],
    ['min on a list is its length', ['a', 'b'], { min: 2 }, true],
    ['max on a list is its length', ['a', 'b', 'c'], { max: 2 }, false],
    ['numeric text compares as a number', '12\n', { min: 3 }, true],
    ['other text compares its length', 'abc', { min: 4 }, false],
    ['min on nothing fails', undefined, { min: 0 }, false],
    ['min on a boolean fails', true, { min: 0 }, false],
    // json subset
    [
      'json text, subset of an object',
      '{"status":"ok","db":{"up":true,"n":2}}',
      { json: { db: { up: true } } },
      true,
    ],
    ['json text, wrong value', '{"status":"ok"}', { json: { status: 'down' } }, false],
    ['json text, missing key', '{"status":"ok"}', { json: { db: {} } }, false],
    [
      'json list: every expected item matches some item',
      '[{"n":1,"x":0},{"n":2}]',
      { json: [{ n: 2 }, { n: 1 }] },
      true,
    ],
    ['json list: an item not found', '[{"n":1}]', { json: [{ n: 3 }] }, false],
    [
      'json on a value (not text)',
      [{ type: 'volume', destination: '/data', name: 'v' }],
      { json: [{ destination: '/data' }] },
      true,
    ],
    ['json that does not parse', 'not json', { json: {} }, false],
    ['json: an object is not a list', '{"a":1}', { json: [1] }, false],
    ['json scalar strictness', '{"a":"1"}', { json: { a: 1 } }, false],
    // sha256
    ['sha256 of the text, trailing newline ignored', 'secret\n', { sha256: hashOf('secret') }, true],
    ['sha256 differs', 'Secret', { sha256: hashOf('secret') }, false],
    ['sha256 with ignoreCase', 'Secret', { sha256: hashOf('secret'), ignoreCase: true }, true],
    ['sha256 of nothing', undefined, { sha256: hashOf('') }, false],
    // inOrder
    [
      'inOrder, not adjacent',
      ['FROM python', 'COPY requirements.txt .', 'RUN pip install', 'COPY . .'],
      { inOrder: ['^COPY requirements', '^RUN pip', '^COPY \\. '] },
      true,
    ],
    ['inOrder, wrong order', ['COPY . .', 'RUN pip install'], { inOrder: ['^RUN pip', '^COPY \\. '] }, false],
    ['inOrder needs distinct items', ['RUN pip install'], { inOrder: ['pip', 'pip'] }, false],
    [
      'inOrder on text lines',
      'starting\nlistening on 8080\nready\n',
      { inOrder: ['starting', 'ready'] },
      true,
    ],
    ['inOrder on a number', 3, { inOrder: ['3'] }, false],
    // text options
    ['equals ignoring case', 'Hello', { equals: 'hello', ignoreCase: true }, true],
    ['equals is case-sensitive by default', 'Hello', { equals: 'hello' }, false],
    [
      'equals ignoring whitespace',
      '  Hello \t  world \n',
      { equals: 'Hello world', ignoreWhitespace: true },
      true,
    ],
    [
      'ignoreWhitespace collapses, does not delete',
      'Helloworld',
      { equals: 'Hello world', ignoreWhitespace: true },
      false,
    ],
    ['equals trimmed', '  OK  ', { equals: 'OK', trim: true }, true],
    ['trim keeps inner whitespace', 'O  K', { equals: 'O K', trim: true }, false],
    ['contains ignoring case', 'Hello from FLASK', { contains: 'Flask', ignoreCase: true }, true],
    ['contains ignoring whitespace', 'a\n  b', { contains: 'a b', ignoreWhitespace: true }, true],
    ['matches ignoring case', 'ERROR: x', { matches: '^error', ignoreCase: true }, true],
    ['oneOf ignoring case', 'Running', { oneOf: ['running', 'exited'], ignoreCase: true }, true],
    ['list items ignoring case', ['Nginx'], { includes: 'nginx', ignoreCase: true }, true],
    ['options reach into not', 'ERROR here', { ignoreCase: true, not: { contains: 'error' } }, false],
    ['options alone assert nothing', 'x', { ignoreCase: true }, false],
  ];
  it.each(cases)('%s', (_title, actual, matcher, pass) => {
    expect(compare(actual, matcher).pass).toBe(pass);
  });

  it('describes every comparator in words', () => {
    const described: Array<[Matcher, string]> = [
      [{ contains: 'Flask', ignoreCase: true }, 'contains "Flask" (ignoring case)'],
      [
        { equals: 'a b', ignoreWhitespace: true, ignoreCase: true },
        'equals "a b" (ignoring case and whitespace)',
      ],
      [{ equals: 'OK', trim: true }, 'equals "OK" (trimmed)'],
      [{ min: 2 }, 'at least 2'],
      [{ min: '1MB', max: '1.5GiB' }, 'at least 1MB and at most 1.5GiB'],
      [{ includes: ['a', 'b'] }, 'includes ["a","b"]'],
      [{ oneOf: ['starting', 'healthy'] }, 'one of "starting", "healthy"'],
      [{ inOrder: ['^COPY', '^RUN'] }, 'has, in this order, /^COPY/, /^RUN/'],
      [{ json: { a: 1 } }, 'JSON containing {"a":1}'],
      [{ sha256: 'a'.repeat(64) }, 'has SHA-256 aaaaaaaaaaaa…'],
      [{ ignoreCase: true, not: { contains: 'error' } }, 'not (contains "error") (ignoring case)'],
    ];
    for (const [matcher, text] of described) expect(describeMatcher(matcher)).toBe(text);
  });

  it('shows the length that min/max compared', () => {
    expect(compare(['a'], { min: 2 }).actual).toBe('["a"] (1 item)');
    expect(compare('abc', { max: 2 }).actual).toBe('abc (3 characters)');
    expect(compare('42\n', { max: 2 }).actual).toBe('42\n');
  });

  it('gives a line diff when multi-line text is not equal', () => {
    const expected = 'line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n';
    const actual = 'line 1\nline 2\nline 3\nline FOUR\nline 5\nline 6\n';
    const result = compare(actual, { equals: expected }, 'stdout');
    expect(result.pass).toBe(false);
    expect(result.diff).toBe(
      [
        '--- expected stdout',
        '+++ actual stdout',
        '@@ -2,5 +2,5 @@',
        ' line 2',
        ' line 3',
        '-line 4',
        '+line FOUR',
        ' line 5',
        ' line 6',
      ].join('\n'),
    );
    // One line each: expected and actual say it all.
    expect(compare('OKAY', 'OK').diff).toBeUndefined();
    expect(compare('a\nb', 'a\nb\n').diff).toBeUndefined();
    // Under ignoreCase a diff would flag lines that compared equal.
    expect(compare('A\nB', { equals: 'a\nc', ignoreCase: true }).diff).toBeUndefined();
  });

  it('parses sizes and durations into bytes and milliseconds', () => {
    expect(parseQuantity('50MB')).toEqual({ value: 50_000_000, kind: 'bytes' });
    expect(parseQuantity('1.5GiB')).toEqual({ value: 1_610_612_736, kind: 'bytes' });
    expect(parseQuantity('2kib')).toEqual({ value: 2048, kind: 'bytes' });
    expect(parseQuantity('30s')).toEqual({ value: 30_000, kind: 'ms' });
    expect(parseQuantity('5m')).toEqual({ value: 300_000, kind: 'ms' });
    expect(parseQuantity('1h')).toEqual({ value: 3_600_000, kind: 'ms' });
    expect(parseQuantity(7)).toEqual({ value: 7, kind: 'number' });
    expect(() => parseQuantity('5 parsecs')).toThrow(/not a number, size or duration/);
  });
});
