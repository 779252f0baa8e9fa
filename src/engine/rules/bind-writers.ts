// engine/rules: what the engine's work is held to (names, binds, builds), checked before or around a call.
//
// A bind mount the student cannot race (docs/decisions.md, "Bind sources are mounted with every
// writer of the submission frozen"). The daemon resolves a bind source by its path when it mounts
// it (at start, restart, and for every `docker cp`), so a folder of the submission swapped for a
// symlink to `/` between the grader's check and that mount would be followed. Only the run's own
// containers that bind-mount a host folder can change the submission (the client container, the
// student's containers, the grader's run steps): while they are all paused (the cgroup freezer, by
// the daemon), the path cannot change, so a check made then still holds when the daemon mounts.
// The proxy and the grader's run step each bring their own WriterControl.
import { realpath } from 'node:fs/promises';
import { runLabels } from '../../naming/labels';
import { isRecord } from '../../shared/records';
import type { Engine } from '../engine';

/** What freezing needs of the engine, for one run. */
export interface WriterControl {
  /** Running (not paused) containers of the run that may write the submission. */
  writers(): Promise<string[]>;
  /** Pauses a container; false when it was no longer running (nothing to thaw then). */
  pause(id: string): Promise<boolean>;
  /** Unpauses a container this freeze paused; a container gone meanwhile is fine. */
  unpause(id: string): Promise<void>;
}

/** Ends a freeze: unpauses what it paused and lets the next one of the run go. Idempotent. */
export type Thaw = () => Promise<void>;

/**
 * One freeze (or pause/unpause request of the student) at a time per run: a second start would
 * otherwise thaw the first one's writers while its mount is under way, and a student's
 * `docker unpause` sent during a freeze would wake a writer.
 */
const runLocks = new Map<string, Promise<void>>();
/** Tries of one pause (measured: 1 in 20 pauses of a shell swapping a folder in a loop fails). */
const PAUSE_ATTEMPTS = 8;

/** Waits for the run's lock and takes it; the returned function gives it back. */
export async function takeRunLock(runId: string): Promise<() => void> {
  const previous = runLocks.get(runId) ?? Promise.resolve();
  let give: () => void = () => undefined;
  const mine = new Promise<void>((resolve) => {
    give = resolve;
  });
  const chained = previous.then(() => mine);
  runLocks.set(runId, chained);
  await previous;
  let given = false;
  return () => {
    if (given) return;
    given = true;
    give();
    // The last holder leaves no entry behind (runs come and go in one process: class grading).
    if (runLocks.get(runId) === chained) runLocks.delete(runId);
  };
}

/**
 * Pauses every writer of the run and returns the thaw. On a failure to pause, what was paused
 * is unpaused again and the error is passed on: a start must not go ahead half frozen.
 */
export async function freezeWriters(runId: string, control: WriterControl): Promise<Thaw> {
  const release = await takeRunLock(runId);
  const paused: string[] = [];
  let thawed = false;
  const thaw: Thaw = async () => {
    if (thawed) return;
    thawed = true;
    try {
      await Promise.all(paused.map((id) => control.unpause(id).catch(() => undefined)));
    } finally {
      release();
    }
  };
  try {
    const ids = await control.writers();
    const results = await Promise.allSettled(
      ids.map(async (id) => {
        if (await pauseWithRetries(control, id)) paused.push(id);
      }),
    );
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  } catch (error) {
    await thaw();
    throw error;
  }
  return thaw;
}

/**
 * Pauses one container, again after a failure: the freezer gives up ("unable to freeze") on a
 * container that starts processes all the time (a swap loop in a shell does), now and then.
 */
async function pauseWithRetries(control: WriterControl, id: string): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await control.pause(id);
    } catch (error) {
      if (attempt >= PAUSE_ATTEMPTS) throw error;
    }
  }
}

/** Runs `action` (check the bind sources, then have the daemon mount them) with the writers frozen. */
export async function withWritersFrozen<T>(
  runId: string,
  control: WriterControl,
  action: () => Promise<T>,
): Promise<T> {
  const thaw = await freezeWriters(runId, control);
  try {
    return await action();
  } finally {
    await thaw();
  }
}

type Json = Record<string, unknown>;

/**
 * Whether the daemon mounts a host path for this container (its inspection, or its summary in
 * a list): `Binds` with a path source, a `Mounts` entry of type bind, or `--volumes-from`.
 */
export function mountsHostPath(container: Json): boolean {
  const hostConfig = isRecord(container.HostConfig) ? container.HostConfig : {};
  const binds = Array.isArray(hostConfig.Binds) ? hostConfig.Binds : [];
  if (binds.some((bind) => typeof bind === 'string' && bind.startsWith('/'))) return true;
  const volumesFrom = Array.isArray(hostConfig.VolumesFrom) ? hostConfig.VolumesFrom : [];
  if (volumesFrom.length > 0) return true;
  const mounts = [
    ...(Array.isArray(hostConfig.Mounts) ? hostConfig.Mounts : []),
    ...(Array.isArray(container.Mounts) ? container.Mounts : []),
  ];
  return mounts.some((mount) => isRecord(mount) && mount.Type === 'bind');
}

/** The ids of running containers in a list answer (`GET /containers/json`) that mount a host path. */
export function runningBindWriters(listed: unknown): string[] {
  if (!Array.isArray(listed)) return [];
  return listed
    .filter(isRecord)
    .filter((container) => container.State === 'running' && mountsHostPath(container))
    .map((container) => String(container.Id));
}

/**
 * The grader's own control, for its run steps: every running container of the run is a writer
 * (summaries do not say which mount a host path; a pause of a second costs them nothing). An
 * engine without pause (a fake) has no writers to freeze.
 */
export function engineWriterControl(engine: Engine): WriterControl {
  const pause = engine.pauseContainer?.bind(engine);
  const unpause = engine.unpauseContainer?.bind(engine);
  return {
    async writers() {
      if (pause === undefined) return [];
      const listed = await engine.listContainers(runLabels(engine.runId));
      return listed.filter((container) => container.state === 'running').map((container) => container.id);
    },
    pause: async (id) => (pause === undefined ? false : pause(id)),
    unpause: async (id) => {
      await unpause?.(id);
    },
  };
}

/**
 * The first source that no longer resolves to the real path it had when it was checked, and
 * why; checked with the writers frozen, just before the mount. `approved` gives that real path;
 * by default the source itself (the proxy passes bind sources resolved).
 */
export async function changedBindSource(
  sources: string[],
  approved: (source: string) => string = (source) => source,
): Promise<string | undefined> {
  for (const source of sources) {
    const real = await realpath(source).catch(() => undefined);
    if (real !== approved(source)) {
      return `the bind mount source ${source} was replaced (by a symbolic link, or removed) after it was checked`;
    }
  }
  return undefined;
}

/** The host paths a container's inspection says the daemon bind-mounts for it. */
export function bindSources(container: Json): string[] {
  const mounts = Array.isArray(container.Mounts) ? container.Mounts : [];
  return mounts
    .filter(isRecord)
    .filter((mount) => mount.Type === 'bind' && typeof mount.Source === 'string')
    .map((mount) => String(mount.Source));
}
