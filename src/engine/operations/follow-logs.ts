// engine/operations: one group of the Engine interface's calls, made on the daemon through transport/.
//
// Following a container's output while it runs (the student's script in its client container):
// each chunk is passed on as the container prints it, from its very start, under a byte cap.
import { Writable } from 'node:stream';
import type { FollowLogsOptions, FollowLogsResult } from '../engine';
import { shortId } from '../format';
import type { DockerClient } from '../transport/client';
import { asReadable, followStream, type StreamOutcome } from '../transport/streams';
import { waitForExit } from './containers';

/**
 * `GET /logs?follow=1` from the start: the daemon sends what the container printed so far, then
 * what it prints, and ends the stream when the container stops (at once if it has stopped
 * already), so that nothing printed before this request is lost. No deadline of its own: it
 * lasts as long as the container, which the caller's time limit bounds; the caller's signal
 * ends it.
 *
 * The daemon (20.10) may end a follow before the last of the output (a last line without a
 * newline) reached the log: once the container has stopped, one more read of the whole log
 * passes on what it holds beyond what was passed on already.
 */
export async function followContainerLogs(
  client: DockerClient,
  containerId: string,
  options: FollowLogsOptions,
): Promise<FollowLogsResult> {
  const what = `follow the logs of container ${shortId(containerId)}`;
  const controller = new AbortController();
  const release = client.track(controller);
  const stop = (): void => controller.abort();
  if (options.signal.aborted) stop();
  options.signal.addEventListener('abort', stop, { once: true });
  const passed: Buffer[] = [];
  let passedBytes = 0;
  let truncated = false;
  const passOn = (chunk: Buffer): void => {
    const room = options.maxBytes - passedBytes;
    if (chunk.length > room) truncated = true;
    if (room <= 0) return;
    // A copy: demuxStream hands out views of its own buffer.
    const kept = Buffer.from(chunk.length > room ? chunk.subarray(0, room) : chunk);
    passed.push(kept);
    passedBytes += kept.length;
    options.onStdout(kept);
  };
  try {
    const outcome = await readStdout(client, containerId, true, controller.signal, passOn, () => truncated);
    if (outcome === 'timeout') return { truncated, ended: false };
    if (truncated) return { truncated, ended: true };
    await waitForExit(client, containerId, client.callTimeoutMs);
    const already = Buffer.concat(passed);
    let offset = 0;
    let sameLog = true;
    const catchUp = (chunk: Buffer): void => {
      const repeated = Math.min(chunk.length, already.length - offset);
      if (repeated > 0 && !chunk.subarray(0, repeated).equals(already.subarray(offset, offset + repeated))) {
        // The log is not the one followed (rotated at its size limit): nothing more is certain.
        sameLog = false;
        truncated = true;
      }
      offset += repeated;
      if (sameLog && chunk.length > repeated) passOn(chunk.subarray(repeated));
    };
    const deadline = setTimeout(stop, client.callTimeoutMs);
    try {
      const last = await readStdout(client, containerId, false, controller.signal, catchUp, () => truncated);
      if (last === 'timeout') throw client.timeoutError(what, client.callTimeoutMs);
    } finally {
      clearTimeout(deadline);
    }
    return { truncated, ended: true };
  } catch (error) {
    if (controller.signal.aborted && options.signal.aborted) return { truncated, ended: false };
    if (controller.signal.aborted) throw client.timeoutError(what, client.callTimeoutMs);
    throw client.translate(error, what);
  } finally {
    options.signal.removeEventListener('abort', stop);
    release();
  }
}

/** The container's stdout (stderr is read and dropped), each chunk to `onChunk`, until the end or `stopWhen`. */
async function readStdout(
  client: DockerClient,
  containerId: string,
  follow: boolean,
  signal: AbortSignal,
  onChunk: (chunk: Buffer) => void,
  stopWhen: () => boolean,
): Promise<StreamOutcome> {
  const stream = asReadable(
    await client.dial({
      path: `/containers/${encodeURIComponent(containerId)}/logs?`,
      method: 'GET',
      options: { stdout: true, stderr: true, follow },
      isStream: true,
      abortSignal: signal,
      statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
    }),
  );
  client.docker.modem.demuxStream(
    stream,
    sink(onChunk),
    sink(() => undefined),
  );
  // Past the cap nothing more is passed on: once it is known that more came, stop downloading.
  return followStream(stream, signal, { stopWhen });
}

function sink(onChunk: (chunk: Buffer) => void): Writable {
  return new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      onChunk(chunk);
      done();
    },
  });
}
