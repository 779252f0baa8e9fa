import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FirstErrorFinder, firstErrorLine, MAX_FIRST_ERROR_CHARS } from '../../../src/steps/text';

const FIXTURES = path.join(__dirname, '../../fixtures', 'output-errors');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');

describe('firstErrorLine on outputs captured from the engine', () => {
  it.each([
    ['build-apt.txt', 'E: Unable to locate package nonexistent-pkg-xyz'],
    [
      'build-pip.txt',
      'ERROR: Could not find a version that satisfies the requirement flask==2.3.3 (from versions: none)',
    ],
    [
      'build-tb.txt',
      'json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)',
    ],
    ['build-dash.txt', '/bin/sh: 1: nosuchcmd: not found'],
    ['build-sh.txt', "/bin/sh: cd: line 0: can't cd to /app: No such file or directory"],
    [
      'build-copy.txt',
      'COPY failed: file not found in build context or excluded by .dockerignore: stat requirements.txt: file does not exist',
    ],
    [
      'docker-run-pull.txt',
      'docker: Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host',
    ],
    ['bash-script.txt', 'bash: line 1: nosuchcmd: command not found'],
  ])('%s', (name, expected) => {
    expect(firstErrorLine(fixture(name))).toBe(expected);
  });

  it('finds the same line when the output arrives line by line', () => {
    const finder = new FirstErrorFinder();
    for (const line of fixture('build-tb.txt').split('\n')) finder.push(line);
    expect(finder.line).toMatch(/^json\.decoder\.JSONDecodeError: /);
  });
});

describe('firstErrorLine on other tools and on ordinary output', () => {
  // Each tool's own way of writing an error; the error found is the output's first line.
  it.each([
    'Error: No such container: web',
    'npm ERR! code E404\nnpm ERR! 404 Not Found',
    'main.c:3:1: error: expected declaration',
    'gcc: error: nosuch.c: No such file or directory',
    "ping: bad address 'db'",
    'curl: (7) Failed to connect to web port 80',
    './start.sh: line 3: ./app: Permission denied',
    'fatal: not a git repository',
    'panic: runtime error: index out of range',
  ])('%j', (output) => {
    expect(firstErrorLine(output)).toBe(output.split('\n')[0]);
  });

  it('takes the daemon refusing a docker command for an error', () => {
    const refusal = 'Error response from daemon: Conflict. The name "/web" is in use';
    expect(firstErrorLine(refusal)).toBe(refusal);
  });

  it.each([
    ['a build that worked', 'Step 1/2 : FROM busybox\n ---> 9bb7b73520a2\nSuccessfully built 9bb7b73520a2'],
    [
      'apt noise',
      'debconf: delaying package configuration, since apt-utils is not installed\nW: Some index files failed',
    ],
    ['pip warnings', "WARNING: Running pip as the 'root' user can result in broken permissions"],
    ['counts and flags', 'Compiled with -Werror\n0 errors, 0 warnings\nno error here'],
    ['an unfinished traceback', 'Traceback (most recent call last):\n  File "app.py", line 1'],
    ['nothing', ''],
  ])('finds none in %s', (_name, output) => {
    expect(firstErrorLine(output)).toBeUndefined();
  });

  it('takes the first of several errors', () => {
    expect(firstErrorLine('E: first\nERROR: second')).toBe('E: first');
  });

  it('caps a huge line', () => {
    const line = firstErrorLine(`ERROR: ${'x'.repeat(10_000)}`);
    expect(line).toHaveLength(MAX_FIRST_ERROR_CHARS);
    expect(line?.endsWith('…')).toBe(true);
  });
});
