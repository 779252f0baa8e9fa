// engine/operations: one group of the Engine interface's calls, made on the daemon through transport/.
//
// Following one container: the engine's events about it, and (on request) its new output, as
// "something changed" notifications, so that waits follow the engine instead of polling it.
import type { Readable } from 'node:stream';
import type { ContainerChange } from '../engine';
import { shortId } from '../format';
import type { DockerClient } from '../transport/client';
import { asReadable } from '../transport/streams';

/**
 * Resolves once the streams are open (the daemon sends their headers at once), so no change
 * after it is missed. Execs in the container (the grader's own probes) are not changes. When
 * the events stream ends or breaks, onChange('ended'): the caller goes back to asking.
 */
export async function watchContainer(
  client: DockerClient,
  id: string,
  options: { output: boolean },
  onChange: (change: ContainerChange) => void,
  signal: AbortSignal,
): Promise<void> {
  const controller = new AbortController();
  const release = client.track(controller);
  const stop = (): void => controller.abort();
  if (signal.aborted) stop();
  signal.addEventListener('abort', stop, { once: true });
  controller.signal.addEventListener('abort', () => {
    signal.removeEventListener('abort', stop);
    release();
  });
  // A daemon that accepts the connection but never answers (hung) must not hold the wait past
  // an ordinary call's deadline: the caller then asks the engine, whose calls have deadlines.
  const opening = setTimeout(stop, client.callTimeoutMs);
  try {
    const events = await open(client, controller.signal, `/events?`, {
      filters: JSON.stringify({ type: ['container'], container: [id] }),
    });
    followEvents(events, onChange, controller.signal);
    if (options.output) {
      const output = await open(client, controller.signal, `/containers/${encodeURIComponent(id)}/logs?`, {
        stdout: true,
        stderr: true,
        follow: true,
        tail: '0',
      });
      output.on('data', () => onChange('output'));
      output.on('error', () => {});
    }
  } catch (error) {
    stop();
    throw client.translate(error, `follow container ${shortId(id)}`);
  } finally {
    clearTimeout(opening);
  }
}

async function open(
  client: DockerClient,
  signal: AbortSignal,
  path: string,
  options: Record<string, unknown>,
): Promise<Readable> {
  const stream = asReadable(
    await client.dial({
      path,
      method: 'GET',
      options,
      isStream: true,
      abortSignal: signal,
      statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
    }),
  );
  signal.addEventListener('abort', () => stream.destroy(), { once: true });
  return stream;
}

function followEvents(
  stream: Readable,
  onChange: (change: ContainerChange) => void,
  signal: AbortSignal,
): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    if (lines.some(isStateEvent)) onChange('state');
  });
  const ended = (): void => {
    if (!signal.aborted) onChange('ended');
  };
  stream.once('end', ended);
  stream.once('close', ended);
  stream.on('error', ended);
}

/** Every event of the container but its execs' (exec_create, exec_start, exec_die). */
function isStateEvent(line: string): boolean {
  if (line.trim() === '') return false;
  try {
    const event: unknown = JSON.parse(line);
    const action =
      typeof event === 'object' && event !== null && 'Action' in event && typeof event.Action === 'string'
        ? event.Action
        : '';
    return !action.startsWith('exec_');
  } catch {
    return true;
  }
}
