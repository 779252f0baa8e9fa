// The CLI's failures, through the shared outcome table: what it writes on stderr and returns.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Io, runCli } from '../../../src/cli/commands';

function capture(): Io & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => {
      io.out += text;
    },
    stderr: (text: string) => {
      io.err += text;
    },
  };
  return io;
}

function specFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'cli-test-')), 'exercise.yaml');
  writeFileSync(file, text);
  return file;
}

describe('runCli', () => {
  it('answers a usage error with exit 2 and a pointer to --help', async () => {
    const io = capture();
    expect(await runCli(['grde'], io)).toBe(2);
    expect(io.err).toBe('error: unknown command "grde"\nRun docker-autograder --help for usage.\n');
    expect(io.out).toBe('');
  });

  it('answers a broken spec with exit 2 and each problem at its place', async () => {
    const file = specFile(
      'version: 1\nid: x/y\ntitle: T\nchecks:\n  - name: c\n    image: { name: a }\n    expect: { usr: root }\n',
    );
    const io = capture();
    expect(await runCli(['validate', file], io)).toBe(2);
    const [line, ...rest] = io.err.split('\n');
    expect(line?.startsWith(`${file}:7:15: unknown key "usr" in checks[0].expect`)).toBe(true);
    expect(rest).toEqual(['']);
  });

  it('validates a good spec with exit 0', async () => {
    const file = specFile(
      'version: 1\nid: x/y\ntitle: T\nchecks:\n  - name: c\n    image: { name: a }\n    expect: { user: root }\n',
    );
    const io = capture();
    expect(await runCli(['validate', file], io)).toBe(0);
    expect(io.out).toBe(`${file}: ok (x/y, 1 checks)\n`);
    expect(io.err).toBe('');
  });
});
