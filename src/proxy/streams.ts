// The byte side of the proxy: bodies read within bounds, the body of an upgrade request on the raw
// socket, and streamed answers with the run's scope taken out of names.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { VirtualNames } from '../naming/virtual-names';
import { Refusal } from './refusal';
import { type BodyBudget, MAX_JSON_BODY_BYTES } from './transport';

/** A line of a streamed answer (build, pull, events) longer than this passes through unscoped. */
const MAX_STREAM_LINE_BYTES = 1024 * 1024;

export async function readCapped(
  stream: NodeJS.ReadableStream,
  limit: number,
  tooLarge: () => Error,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > limit) throw tooLarge();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The body of an upgrade request (it follows the headers on the raw socket), and what the client
 * sent after it, held back until the engine switched protocols. The socket is left paused.
 */
export function readUpgradeBody(
  request: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  budget: BodyBudget,
  deadlineMs: number,
): Promise<{ body: Buffer; rest: Buffer }> {
  if (request.headers['transfer-encoding'] !== undefined) {
    return Promise.reject(new Refusal('an upgrade request with a chunked body is not supported', 400));
  }
  const length = Number(request.headers['content-length'] ?? '0');
  if (!Number.isInteger(length) || length < 0) {
    return Promise.reject(new Refusal('invalid Content-Length', 400));
  }
  if (length > MAX_JSON_BODY_BYTES) {
    return Promise.reject(
      new Refusal(`the request body is larger than ${MAX_JSON_BODY_BYTES / 1024} KiB`, 413),
    );
  }
  if (!budget.take(length)) {
    return Promise.reject(
      new Refusal(
        "the grader's Docker proxy is holding too many request bodies at once: send fewer requests at a time",
        503,
      ),
    );
  }
  return new Promise<{ body: Buffer; rest: Buffer }>((resolve, reject) => {
    let received = head;
    const stop = (): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
    };
    const settle = (): boolean => {
      if (received.length < length) return false;
      socket.pause();
      stop();
      resolve({ body: received.subarray(0, length), rest: received.subarray(length) });
      return true;
    };
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      settle();
    };
    const onEnd = (): void => {
      stop();
      reject(new Refusal('the request body ended early', 400));
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Refusal(`the request body did not arrive within ${deadlineMs / 1000} s`, 408));
    }, deadlineMs);
    if (settle()) return;
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  }).finally(() => budget.give(length));
}

/** Streamed JSON lines (build, pull, events) with the run's scope taken out of names. */
export function unscopeLines(names: VirtualNames): Transform {
  let pending = '';
  const decoder = new StringDecoder('utf8');
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      pending += decoder.write(chunk);
      const end = pending.lastIndexOf('\n');
      if (end >= 0) {
        this.push(names.unscope(pending.slice(0, end + 1)));
        pending = pending.slice(end + 1);
      }
      if (pending.length > MAX_STREAM_LINE_BYTES) {
        this.push(pending);
        pending = '';
      }
      callback();
    },
    flush(callback) {
      pending += decoder.end();
      if (pending !== '') this.push(names.unscope(pending));
      callback();
    },
  });
}
