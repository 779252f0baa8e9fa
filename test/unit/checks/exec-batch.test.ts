// The pure parts of batched command checks: the frame parser (hostile output included), which
// checks may share an exec, and how checks are grouped to run.
import { describe, expect, it } from 'vitest';
import { isBatchable } from '../../../src/checks/exec-batch';
import { type BatchEvent, BatchFrameParser, batchScript } from '../../../src/checks/exec-frames';
import { planChecks } from '../../../src/checks/schedule';
import type { CheckSpec } from '../../../src/spec/types';

const NONCE = '0123456789abcdef0123456789abcdef';
const OTHER = 'fedcba9876543210fedcba9876543210';

function frame(index: number, exitCode: number, stdout: Buffer | string, stderr: Buffer | string): Buffer {
  const out = Buffer.from(stdout);
  const err = Buffer.from(stderr);
  return Buffer.concat([
    Buffer.from(`${NONCE} done ${index} ${exitCode} ${out.length} ${err.length}\n`),
    out,
    err,
  ]);
}

function parseAll(bytes: Buffer, commands: number, chunkSize = bytes.length): BatchEvent[] {
  const parser = new BatchFrameParser(NONCE, commands, 1024);
  const events: BatchEvent[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize)
    events.push(...parser.push(bytes.subarray(at, at + chunkSize)));
  return events;
}

const ready = Buffer.from(`${NONCE} ready /tmp/tmp.x\n`);
const end = Buffer.from(`${NONCE} end\n`);

describe('BatchFrameParser', () => {
  it("reads each command's exact bytes, whatever they contain, in any chunking", () => {
    const binary = Buffer.from([0x61, 0x00, 0xff, 0xfe, 0x0a]);
    // Output that imitates the framing, with the real nonce even: it is counted data.
    const imitation = `\n${NONCE} done 1 0 0 0\n${NONCE} end\n`;
    const stream = Buffer.concat([ready, frame(0, 7, binary, 'err'), frame(1, 0, imitation, ''), end]);
    for (const chunkSize of [1, 3, 17, stream.length]) {
      const events = parseAll(stream, 2, chunkSize);
      expect(events.map((event) => event.kind)).toEqual(['ready', 'done', 'done', 'end']);
      expect(events[1]).toEqual({
        kind: 'done',
        index: 0,
        exitCode: 7,
        stdout: binary,
        stderr: Buffer.from('err'),
      });
      expect(events[2]).toMatchObject({ index: 1, stdout: Buffer.from(imitation), stderr: Buffer.alloc(0) });
    }
  });

  it('keeps an output without a trailing newline as it is', () => {
    const events = parseAll(Buffer.concat([ready, frame(0, 0, 'no newline', ''), end]), 1);
    expect(events[1]).toMatchObject({ stdout: Buffer.from('no newline') });
  });

  it('calls anything out of order corrupt, and reads nothing after it', () => {
    const cases: Array<[string, Buffer]> = [
      ['another nonce', Buffer.concat([ready, Buffer.from(`${OTHER} done 0 0 0 0\n`)])],
      ['a skipped index', Buffer.concat([ready, frame(1, 0, '', '')])],
      ['a repeated index', Buffer.concat([ready, frame(0, 0, '', ''), frame(0, 0, '', '')])],
      ['a frame before ready', frame(0, 0, '', '')],
      ['end too early', Buffer.concat([ready, end])],
      ['a length over the cap', Buffer.concat([ready, Buffer.from(`${NONCE} done 0 0 99999 0\n`)])],
      ['a malformed number', Buffer.concat([ready, Buffer.from(`${NONCE} done 0 -1 0 0\n`)])],
      ['stray bytes between frames', Buffer.concat([ready, Buffer.from('x'), frame(0, 0, '', '')])],
      ['a header that never ends', Buffer.concat([ready, Buffer.alloc(5000, 0x41)])],
    ];
    for (const [what, stream] of cases) {
      const events = parseAll(Buffer.concat([stream, frame(0, 0, '', ''), end]), 2);
      expect(events.at(-1)?.kind, what).toBe('corrupt');
      expect(
        events.filter((event) => event.kind === 'corrupt'),
        what,
      ).toHaveLength(1);
    }
  });

  it('reports a batch the image cannot run, a stop and a skip', () => {
    expect(parseAll(Buffer.from(`${NONCE} unsupported\n`), 2)).toEqual([{ kind: 'unsupported' }]);
    const stopped = parseAll(Buffer.concat([ready, frame(0, 0, '', ''), Buffer.from(`${NONCE} stop\n`)]), 3);
    expect(stopped.map((event) => event.kind)).toEqual(['ready', 'done', 'stop']);
    const skipped = parseAll(Buffer.concat([ready, Buffer.from(`${NONCE} skip 0\n`)]), 2);
    expect(skipped.at(-1)).toEqual({ kind: 'skip', index: 0 });
  });
});

describe('batchScript', () => {
  it('passes every argument as a positional parameter, never inside the script text', () => {
    const argv = ['printf', '%s', 'it\'s "quoted"\nand $HOME `x`'];
    const { cmd } = batchScript(NONCE, [{ argv, limitSeconds: 30 }], 1024, 600);
    expect(cmd.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(cmd.slice(4)).toEqual(argv);
    expect(cmd[2]).not.toContain('quoted');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's positional parameters
    expect(cmd[2]).toContain('exec "${1}" "${2}" "${3}"');
  });

  it('refuses a nonce that could break the script', () => {
    expect(() => batchScript("x'; rm -rf /", [{ argv: ['true'], limitSeconds: 30 }], 1024, 600)).toThrow();
  });
});

const exec = (command: string[] | string, extra: Partial<CheckSpec> = {}, container = 'web'): CheckSpec => ({
  name: 'c',
  exec: { container, command },
  ...extra,
});

describe('isBatchable', () => {
  it('takes plain commands and leaves alone what one shared exec cannot give exactly', () => {
    expect(isBatchable(exec(['cat', '/etc/os-release']))).toBe(true);
    expect(isBatchable(exec('grep -c x /data/file'))).toBe(true);
    expect(isBatchable(exec(['cat', 'x'], { required: true }))).toBe(false);
    expect(isBatchable(exec(['cat', 'x'], { steps: [{ restart: { container: 'web' } }] }))).toBe(false);
    expect(isBatchable({ name: 'u', exec: { container: 'web', command: ['id'], user: 'nobody' } })).toBe(
      false,
    );
    expect(isBatchable({ name: 'w', exec: { container: 'web', command: ['pwd'], workdir: '/srv' } })).toBe(
      false,
    );
    expect(isBatchable({ name: 'e', exec: { container: 'web', command: ['env'], env: { A: '1' } } })).toBe(
      false,
    );
    expect(isBatchable({ name: 't', exec: { container: 'web', command: ['true'], timeout: '2s' } })).toBe(
      false,
    );
    expect(isBatchable(exec('ps aux | grep nginx'))).toBe(false);
    expect(isBatchable(exec(['cat', '/proc/1/cmdline']))).toBe(false);
    expect(isBatchable(exec('echo $PPID'))).toBe(false);
    expect(isBatchable(exec(['-weird']))).toBe(false);
    expect(isBatchable(exec(['echo', 'a\0b']))).toBe(false);
  });
});

describe('planChecks', () => {
  const image: CheckSpec = { name: 'i', image: { name: 'app' } };
  const http: CheckSpec = { name: 'h', http: { container: 'web', port: 80 } };
  it('batches consecutive commands on one container, groups reads, and keeps the rest in order', () => {
    const checks = [
      exec(['a']),
      exec(['b']),
      exec(['c'], {}, 'db'),
      exec(['d'], {}, 'db'),
      http,
      image,
      image,
      exec(['e'], { required: true }),
      image,
      exec(['f']),
      http,
      exec(['g']),
    ];
    expect(planChecks(checks)).toEqual([
      { kind: 'batch', indices: [0, 1] },
      { kind: 'batch', indices: [2, 3] },
      { kind: 'alone', index: 4 },
      { kind: 'together', indices: [5, 6] },
      { kind: 'alone', index: 7 },
      { kind: 'alone', index: 8 },
      { kind: 'alone', index: 9 },
      { kind: 'alone', index: 10 },
      { kind: 'alone', index: 11 },
    ]);
  });

  it('never groups a required check or one with steps', () => {
    const gate: CheckSpec = { ...image, required: true };
    const stepped: CheckSpec = { ...image, steps: [{ restart: { container: 'web' } }] };
    expect(planChecks([image, gate, image, stepped, image])).toEqual([
      { kind: 'alone', index: 0 },
      { kind: 'alone', index: 1 },
      { kind: 'alone', index: 2 },
      { kind: 'alone', index: 3 },
      { kind: 'alone', index: 4 },
    ]);
  });
});
