// The framing of batched command checks: several commands run by one `sh` in one exec, each
// with its own argv, stdout, stderr, exit code and byte cap (exec-batch.ts runs it, decisions.md
// says why it is exact). Pure: the script and the parser of what it prints.
//
// The commands never write to the exec's stdout: each one's output goes to files in a private
// temporary folder, and the script alone writes frames. A frame is a header line that starts
// with a random per-batch nonce and gives the byte lengths, then exactly those bytes, so output
// that imitates a header is data inside a counted region, never a boundary. Anything that does
// not parse as the next expected frame makes the rest of the batch unreadable, never misread.

/** One command of a batch. */
export interface BatchCommand {
  argv: string[];
  /** The command's own time limit, in whole seconds (the script stops the batch near it). */
  limitSeconds: number;
}

export interface BatchScript {
  /** The exec's Cmd: /bin/sh -c SCRIPT with every command's arguments as positional parameters. */
  cmd: string[];
}

/** Utilities the script needs besides `sh`; without one of them the batch is not used. */
export const BATCH_UTILITIES = ['mktemp', 'wc', 'head', 'date', 'rm'] as const;

/**
 * How many seconds before a command's limit (and the batch's budget) the script stops starting
 * commands: the grader gives up on a command at its limit, and must know that the script will
 * then start nothing more (it runs the rest in execs of their own).
 */
export const STOP_MARGIN_SECONDS = 2;

/**
 * What one command may write to any one file in a batch, in 512-byte blocks (128 MiB): far over
 * the 1 MiB shown, and a bound on the disk a flood of output can take. A command that writes
 * more gets SIGXFSZ, which it would not in an exec of its own: the one known difference.
 */
export const FILE_LIMIT_BLOCKS = 262_144;

/** The script for `commands`. `budgetSeconds`: time left for the whole batch. */
export function batchScript(
  nonce: string,
  commands: BatchCommand[],
  capBytes: number,
  budgetSeconds: number,
): BatchScript {
  if (!/^[0-9a-f]{16,64}$/.test(nonce)) throw new Error('the nonce must be 16-64 hex digits');
  const args: string[] = [];
  const lines = [
    // No globbing: PATH is split on ":" below, and nothing here is a pattern.
    'set -f',
    `n=${nonce}`,
    `for u in ${BATCH_UTILITIES.join(' ')}; do command -v "$u" >/dev/null 2>&1 || { printf '%s unsupported\\n' "$n"; exit 0; }; done`,
    `d=$(mktemp -d 2>/dev/null) && [ -n "$d" ] || { printf '%s unsupported\\n' "$n"; exit 0; }`,
    `trap 'rm -rf "$d"' EXIT`,
    't0=$(date +%s)',
    // runc looks the program up on PATH; sh must find the same file, or the command is not run here.
    'found() { case $1 in */*) [ -f "$1" ] && [ -x "$1" ]; return;; esac; o=$IFS; IFS=:; for p in $PATH; do IFS=$o; [ -n "$p" ] || p=.; [ -f "$p/$1" ] && [ -x "$p/$1" ] && return 0; done; IFS=$o; return 1; }',
    `printf '%s ready %s\\n' "$n" "$d"`,
  ];
  for (const [index, command] of commands.entries()) {
    if (command.argv.length === 0) throw new Error('a command needs a program');
    const refs = command.argv.map((arg) => {
      args.push(arg);
      return `"\${${args.length}}"`;
    });
    lines.push(
      `found ${refs[0]} || { printf '%s skip ${index}\\n' "$n"; exit 0; }`,
      's=$(date +%s)',
      // exec: the program itself, never a builtin of this shell. stdin is empty, as in an exec
      // without stdin. The output goes straight to files, unbuffered, so that what a command
      // printed before its limit is there to show; ulimit -f keeps a flood off the disk.
      `( ulimit -f ${FILE_LIMIT_BLOCKS} && exec ${refs.join(' ')} ) </dev/null >"$d/o" 2>"$d/e"; r=$?`,
      `o=$(($(wc -c <"$d/o"))); [ "$o" -le ${capBytes} ] || o=${capBytes}`,
      `e=$(($(wc -c <"$d/e"))); [ "$e" -le ${capBytes} ] || e=${capBytes}`,
      `printf '%s done ${index} %s %s %s\\n' "$n" "$r" "$o" "$e"`,
      'head -c "$o" "$d/o"; head -c "$e" "$d/e"; rm -f "$d/o" "$d/e"',
    );
    if (index < commands.length - 1) {
      const stopAt = Math.max(0, command.limitSeconds - STOP_MARGIN_SECONDS);
      const budgetStop = Math.max(0, budgetSeconds - STOP_MARGIN_SECONDS);
      lines.push(
        `t=$(date +%s); if [ $((t - s)) -ge ${stopAt} ] || [ $((t - t0)) -ge ${budgetStop} ]; then printf '%s stop\\n' "$n"; exit 0; fi`,
      );
    }
  }
  lines.push(`printf '%s end\\n' "$n"`);
  return { cmd: ['/bin/sh', '-c', lines.join('\n'), 'autograder-batch', ...args] };
}

export type BatchEvent =
  | { kind: 'ready'; tempDir: string }
  | { kind: 'unsupported' }
  | { kind: 'done'; index: number; exitCode: number; stdout: Buffer; stderr: Buffer }
  | { kind: 'skip'; index: number }
  | { kind: 'stop' }
  | { kind: 'end' }
  | { kind: 'corrupt'; reason: string };

const MAX_HEADER_BYTES = 4096;

/**
 * Reads the script's stdout as it arrives. Events come in the only order the script can print
 * them: `unsupported`, or `ready`, then `done`/`skip` for command 0, 1, ... in turn, then `end`
 * (or `stop`/`skip` early). After `corrupt` or a last event it reads nothing more.
 */
export class BatchFrameParser {
  private buffer: Buffer = Buffer.alloc(0);
  private expecting: 'start' | 'command' | 'finished' = 'start';
  private next = 0;
  private body: { index: number; exitCode: number; outBytes: number; errBytes: number } | undefined;

  constructor(
    private readonly nonce: string,
    private readonly commands: number,
    private readonly capBytes: number,
  ) {}

  push(chunk: Buffer): BatchEvent[] {
    if (this.expecting === 'finished') return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const events: BatchEvent[] = [];
    for (;;) {
      const event = this.take();
      if (event === undefined) break;
      events.push(event);
      if (isLast(event)) break;
    }
    return events;
  }

  /** The next whole event in the buffer, if there is one. */
  private take(): BatchEvent | undefined {
    if (this.body !== undefined) {
      const { index, exitCode, outBytes, errBytes } = this.body;
      if (this.buffer.length < outBytes + errBytes) return undefined;
      const stdout = this.buffer.subarray(0, outBytes);
      const stderr = this.buffer.subarray(outBytes, outBytes + errBytes);
      this.buffer = this.buffer.subarray(outBytes + errBytes);
      this.body = undefined;
      this.next = index + 1;
      return { kind: 'done', index, exitCode, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr) };
    }
    const newline = this.buffer.indexOf(0x0a);
    if (newline < 0) {
      return this.buffer.length > MAX_HEADER_BYTES ? this.corrupt('a header line is too long') : undefined;
    }
    const line = this.buffer.subarray(0, newline).toString('latin1');
    this.buffer = this.buffer.subarray(newline + 1);
    const words = line.split(' ');
    if (words[0] !== this.nonce) return this.corrupt('a line without the nonce where a header was due');
    const [, kind, ...rest] = words;
    if (this.expecting === 'start') {
      if (kind === 'unsupported' && rest.length === 0) return this.finish({ kind: 'unsupported' });
      if (kind === 'ready' && rest.length === 1 && rest[0]?.startsWith('/')) {
        this.expecting = 'command';
        return { kind: 'ready', tempDir: rest[0] };
      }
      return this.corrupt(`"${kind}" before ready`);
    }
    if (kind === 'end' && rest.length === 0 && this.next === this.commands)
      return this.finish({ kind: 'end' });
    if (kind === 'stop' && rest.length === 0 && this.next > 0 && this.next < this.commands) {
      return this.finish({ kind: 'stop' });
    }
    if (this.next >= this.commands) return this.corrupt(`"${kind}" after the last command`);
    if (kind === 'skip' && rest.length === 1 && rest[0] === String(this.next)) {
      return this.finish({ kind: 'skip', index: this.next });
    }
    if (kind === 'done' && rest.length === 4 && rest[0] === String(this.next)) {
      const [exitCode, outBytes, errBytes] = rest.slice(1).map(decimal);
      if (exitCode === undefined || outBytes === undefined || errBytes === undefined) {
        return this.corrupt('a header with a malformed number');
      }
      if (outBytes > this.capBytes || errBytes > this.capBytes) return this.corrupt('a length over the cap');
      this.body = { index: this.next, exitCode, outBytes, errBytes };
      return this.take();
    }
    return this.corrupt(`"${kind}" where command ${this.next} was due`);
  }

  private finish(event: BatchEvent): BatchEvent {
    this.expecting = 'finished';
    this.buffer = Buffer.alloc(0);
    return event;
  }

  private corrupt(reason: string): BatchEvent {
    return this.finish({ kind: 'corrupt', reason });
  }
}

function isLast(event: BatchEvent): boolean {
  return event.kind !== 'ready' && event.kind !== 'done';
}

function decimal(text: string | undefined): number | undefined {
  return text !== undefined && /^(0|[1-9][0-9]{0,9})$/.test(text) ? Number(text) : undefined;
}
