// The proxy's side of a bind the student cannot race (src/engine/rules/bind-writers.ts): starts of a
// container that mounts a host path are checked and forwarded with every writer of the run
// paused; the student's own pause and unpause wait for such a start to end; `docker cp` on a
// container that bind-mounts a host folder is refused, because the daemon mounts every bind
// source of the container again for it, while the client container that asks cannot be paused.
import {
  freezeWriters,
  mountsHostPath,
  runningBindWriters,
  type Thaw,
  takeRunLock,
  type WriterControl,
} from '../engine/rules/bind-writers';
import { RUN_LABEL } from '../naming/labels';
import { LIMITS } from '../spec/duration';
import { isRecord, type Json, Refusal } from './policy';
import { LOOKUP_TIMEOUT_MS, type Upstream, upstreamJson } from './upstream';

function control(upstream: Upstream, runId: string): WriterControl {
  return {
    async writers() {
      const filters = encodeURIComponent(
        JSON.stringify({ label: [`${RUN_LABEL}=${runId}`], status: ['running'] }),
      );
      const answer = await upstreamJson(upstream, 'GET', `/containers/json?filters=${filters}`);
      if (answer.status !== 200)
        throw new Error(`the engine did not list the run's containers (HTTP ${answer.status})`);
      return runningBindWriters(answer.body);
    },
    async pause(id) {
      const answer = await upstreamJson(upstream, 'POST', `/containers/${encodeURIComponent(id)}/pause`);
      if (answer.status === 204) return true;
      // Stopped or removed since it was listed (or paused by then): it writes nothing now.
      if (answer.status === 404 || answer.status === 409) return false;
      const message = isRecord(answer.body) ? String(answer.body.message) : String(answer.body);
      // The freezer gave up on a container that keeps starting processes: the student's doing.
      if (/unable to freeze/.test(message)) {
        throw new Refusal(
          `the container could not be started: its bind mounts are mounted only while the grading's containers that bind-mount the submission are paused, and container ${id.slice(0, 12)} could not be paused (it starts processes without pause: ${message})`,
        );
      }
      throw new Error(
        `the engine did not pause container ${id.slice(0, 12)} (HTTP ${answer.status}: ${message})`,
      );
    },
    async unpause(id) {
      await upstreamJson(upstream, 'POST', `/containers/${encodeURIComponent(id)}/unpause`);
    },
  };
}

/**
 * Before a start or restart is checked and forwarded: for a container that mounts a host path
 * (its inspection), every running container of the run that bind-mounts one is paused, and the
 * thaw is returned, to be called once the engine answered. Nothing to thaw for other containers.
 */
export async function freezeForStart(
  upstream: Upstream,
  runId: string,
  details: Json | undefined,
  restart?: { stopSeconds: string | null },
): Promise<Thaw> {
  if (details === undefined || !mountsHostPath(details)) return async () => undefined;
  const state = isRecord(details.State) ? details.State : {};
  if (restart !== undefined && state.Running === true) {
    // Stopped first, outside the freeze: paused, it could not stop gracefully (its SIGTERM would
    // wait for the thaw), and running, it could swap its own bind source until it is killed.
    // The engine's restart of a stopped container then starts it, under the freeze.
    const seconds = restart.stopSeconds === null ? '' : `?t=${encodeURIComponent(restart.stopSeconds)}`;
    const id = String(details.Id);
    // The engine answers once the container stopped: after up to t seconds of grace (10 by
    // default; a negative t waits for the container, as long as a step may last at the most).
    const grace = restart.stopSeconds === null ? 10 : Number(restart.stopSeconds);
    const answer = await upstreamJson(
      upstream,
      'POST',
      `/containers/${encodeURIComponent(id)}/stop${seconds}`,
      undefined,
      {
        timeoutMs:
          (Number.isFinite(grace) && grace >= 0 ? grace * 1000 : LIMITS.compose.maxMs) + LOOKUP_TIMEOUT_MS,
      },
    );
    if (answer.status >= 500)
      throw new Error(`the engine did not stop container ${id.slice(0, 12)} (HTTP ${answer.status})`);
  }
  return freezeWriters(runId, control(upstream, runId));
}

/** A student's pause or unpause holds the run's lock until the engine answered (the release). */
export function holdPauseRequest(runId: string): Promise<() => void> {
  return takeRunLock(runId);
}

/**
 * `docker cp` (the archive API) makes the daemon mount each of the container's bind sources by
 * path, outside any container, while the script that asks keeps running: a folder swapped for a
 * symlink to `/` beforehand would be followed (a file copied to the host's root). Refused for a
 * container that mounts a host path; its files are in the submission folder already.
 */
export function checkArchive(details: Json | undefined, who: string): void {
  if (details === undefined || !mountsHostPath(details)) return;
  throw new Refusal(
    `docker cp to or from container ${who} is not allowed: it bind-mounts a folder of the submission, which the engine would mount again unchecked for the copy; read or write the file in the submission folder instead (or use docker exec)`,
  );
}
