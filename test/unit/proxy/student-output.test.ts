// The output of a student's client container, followed while it runs (student-docker.ts): the
// lines passed on and the output kept must not depend on how the engine cuts the stream into
// chunks, so that following it live gives what reading it whole after the end gave.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FollowLogsOptions, FollowLogsResult } from '../../../src/engine/engine';
import type { RunContext } from '../../../src/run/context';
import { CLIENT_IMAGE } from '../../../src/steps/client-image';
import { runStudentDocker } from '../../../src/steps/student-docker';
import { EMPTY_IMAGE, FakeEngine, fakeRunContext } from '../../support/fake-engine';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A client container that printed `bytes`, handed on `chunkSize` bytes at a time. */
class ChunkedOutput extends FakeEngine {
  constructor(
    private readonly bytes: Buffer,
    private readonly chunkSize: number,
  ) {
    super();
    this.running = false;
    this.images.set(CLIENT_IMAGE, { ...EMPTY_IMAGE, tags: [CLIENT_IMAGE] });
  }
  override async followLogs(_id: string, options: FollowLogsOptions): Promise<FollowLogsResult> {
    const kept = this.bytes.subarray(0, options.maxBytes);
    for (let start = 0; start < kept.length; start += this.chunkSize) {
      options.onStdout(kept.subarray(start, start + this.chunkSize));
    }
    return { truncated: this.bytes.length > options.maxBytes, ended: true };
  }
}

function context(engine: FakeEngine): RunContext {
  const submissionDir = mkdtempSync(path.join(os.tmpdir(), 'student-output-'));
  dirs.push(submissionDir);
  return fakeRunContext(engine, submissionDir, 'unit/student-output');
}

async function collect(bytes: Buffer, chunkSize: number, maxOutputBytes?: number) {
  const engine = new ChunkedOutput(bytes, chunkSize);
  const ctx = context(engine);
  const lines: string[] = [];
  const result = await runStudentDocker(ctx, 'bash', ['run.sh'], {
    cwd: ctx.submissionDir,
    timeoutMs: 10_000,
    onLine: (line) => lines.push(line),
    ...(maxOutputBytes === undefined ? {} : { maxOutputBytes }),
  });
  return { lines, output: result.output, truncated: result.truncated };
}

const CHUNK_SIZES = [1, 3, 7, 1000, 4096, 1 << 30];

describe('the output of a student’s docker commands', () => {
  it('is the same lines however the engine cuts it into chunks', async () => {
    const long = 'x'.repeat(40_000);
    const bytes = Buffer.concat([
      Buffer.from(`crlf\r\n${long}\nafter long\nété €\n`),
      // An unfinished last line, ending in a character cut in half.
      Buffer.from('tail '),
      Buffer.from('€').subarray(0, 2),
    ]);
    const expected = ['crlf', 'x'.repeat(16 * 1024), 'after long', 'été €', 'tail '];
    for (const size of CHUNK_SIZES) {
      const seen = await collect(bytes, size);
      expect(seen.lines, `chunks of ${size}`).toEqual(expected);
      expect(seen.output, `chunks of ${size}`).toBe(`${expected.join('\n')}\n`);
      expect(seen.truncated).toBe(false);
    }
  });

  it('leaves out the legacy-builder notice the grader’s DOCKER_BUILDKIT=0 causes, and nothing else', async () => {
    // As docker CLI 26 prints it before a classic build (captured from the client image).
    const notice = [
      'DEPRECATED: The legacy builder is deprecated and will be removed in a future release.',
      '            BuildKit is currently disabled; enable it by removing the DOCKER_BUILDKIT=0',
      '            environment-variable.',
    ];
    const bytes = Buffer.from(
      [
        'Step 1/2 : FROM busybox',
        ...notice,
        '',
        'DEPRECATED: something of the student’s own',
        'done',
        '',
      ].join('\n'),
    );
    for (const size of [1, 7, 1 << 30]) {
      const seen = await collect(bytes, size);
      expect(seen.lines, `chunks of ${size}`).toEqual([
        'Step 1/2 : FROM busybox',
        '',
        'DEPRECATED: something of the student’s own',
        'done',
      ]);
    }
  });

  it('stops at the byte cap, says so once, and marks the output cut', async () => {
    const line = 'ten bytes';
    const bytes = Buffer.from(`${line}\n`.repeat(50));
    for (const size of [1, 7, 1 << 30]) {
      const seen = await collect(bytes, size, 35);
      // Three lines of 10 bytes (newline included) fit in 35; a fourth would not.
      expect(seen.lines, `chunks of ${size}`).toEqual([line, line, line, '[output cut at 35 bytes]']);
      expect(seen.output).toBe(`${line}\n${line}\n${line}\n`);
      expect(seen.truncated).toBe(true);
    }
  });
});
