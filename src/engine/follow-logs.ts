// Following a container's output while it runs (the student's script in its client container):
// each chunk is passed on as the container prints it, from its very start, under a byte cap.
import { Writable } from 'node:stream';
import type { DockerClient } from './client';
import type { FollowLogsOptions, FollowLogsResult } from './engine';
import { shortId } from './format';
import { asReadable, followStream } from './streams';

/**
 * `GET /logs?follow=1` from the start: the daemon sends what the container printed so far, then
 * what it prints, and ends the stream when the container stops (at once if it has stopped
 * already), so that nothing printed before this request is lost. No deadline of its own: it
 * lasts as long as the container, which the caller's time limit bounds; the caller's signal
 * ends it.
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
  let passed = 0;
  let truncated = false;
  const onStdout = (chunk: Buffer): void => {
    const room = options.maxBytes - passed;
    if (chunk.length > room) truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    passed += kept.length;
    // A copy: demuxStream hands out views of its own buffer.
    options.onStdout(Buffer.from(kept));
  };
  try {
    const stream = asReadable(
      await client.dial({
        path: `/containers/${encodeURIComponent(containerId)}/logs?`,
        method: 'GET',
        options: { stdout: true, stderr: true, follow: true },
        isStream: true,
        abortSignal: controller.signal,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
      }),
    );
    client.docker.modem.demuxStream(
      stream,
      sink(onStdout),
      sink(() => undefined),
    );
    // Past the cap nothing more is passed on: once it is known that more came, stop downloading.
    const outcome = await followStream(stream, controller.signal, { stopWhen: () => truncated });
    return { truncated, ended: outcome === 'done' };
  } catch (error) {
    if (controller.signal.aborted) return { truncated, ended: false };
    throw client.translate(error, what);
  } finally {
    options.signal.removeEventListener('abort', stop);
    release();
  }
}

function sink(onChunk: (chunk: Buffer) => void): Writable {
  return new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      onChunk(chunk);
      done();
    },
  });
}
