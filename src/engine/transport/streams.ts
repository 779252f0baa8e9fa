// engine/transport: reaching the daemon (where, how, deadlines, response streams), under every operation.
//
// Reading the engine's response streams under a deadline and with a byte cap.
import { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { InfraError } from '../../shared/errors';

export type StreamOutcome = 'done' | 'timeout';

/**
 * Reads a response stream to its end. Resolves 'timeout' when the signal fires first (the stream
 * is destroyed, which also cancels the request on the daemon's side), and rejects if the
 * connection breaks before the end.
 */
export function followStream(
  stream: Readable,
  signal: AbortSignal,
  hooks: { onData?: (chunk: Buffer) => void; stopWhen?: () => boolean },
): Promise<StreamOutcome> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: StreamOutcome | Error): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onAbort = (): void => {
      stream.destroy();
      settle('timeout');
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer | string) => {
      hooks.onData?.(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      if (hooks.stopWhen?.()) {
        settle('done');
        stream.destroy();
      }
    });
    stream.once('end', () => settle('done'));
    // `on`, not `once`: a destroyed stream may emit more than one error, and an unheard one crashes.
    stream.on('error', (error) => settle(signal.aborted ? 'timeout' : error));
    stream.once('close', () =>
      settle(signal.aborted ? 'timeout' : new Error('the connection closed before the end of the output')),
    );
  });
}

export function asReadable(value: unknown): Readable {
  if (value instanceof Readable) return value;
  throw new InfraError('Docker engine answered with something that is not a stream');
}

/** Keeps at most `cap` bytes; the rest is counted as dropped. */
export class CappedBytes {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  get full(): boolean {
    return this.size >= this.cap;
  }

  push(chunk: Buffer): void {
    const room = this.cap - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    // A copy: demuxStream hands out views of its own buffer.
    this.chunks.push(Buffer.from(kept));
    this.size += kept.length;
  }

  writable(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.push(chunk);
        done();
      },
    });
  }

  /** UTF-8; a character cut in half by the cap is dropped rather than shown as garbage. */
  text(): string {
    return new StringDecoder('utf8').write(Buffer.concat(this.chunks));
  }
}
