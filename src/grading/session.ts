// One grading session: a fresh run id, an engine, and cleanup that also runs on SIGINT/SIGTERM
// (a cancelled CI job gets about 7.5 s before it is killed) and when the outer watchdog fires
// (a daemon that hangs must not hang the grader).
import { randomBytes } from 'node:crypto';
import { createDockerEngine, type DockerEngine } from '../engine/docker-engine';
import type { Engine } from '../engine/engine';
import { ExitCode, errorMessage, InfraError } from '../shared/errors';
import { formatDuration, LIMITS, timeoutMs } from '../spec/duration';
import type { ExerciseSpec } from '../spec/types';
import { killStudentProcesses } from '../steps/student-docker';

/**
 * Cleanup after a signal or at the watchdog must be over by then (a cancelled job's runner
 * sends SIGKILL 7.5 s after SIGINT; the requirement is nothing labelled 5 s after the signal).
 */
const ABANDON_CLEANUP_MS = 4_500;
/**
 * Until then after the first removal pass, whatever of the run the engine still reports
 * (created or tagged: an aborted build finishing its current instruction, a create that was in
 * flight) is swept again as it lands; then one last pass.
 */
const LATE_ARRIVALS_MS = 3_000;
/** The watchdog's allowance beyond the exercises' own time limits: cleanup, the last calls. */
const WATCHDOG_SLACK_MS = 5 * 60_000;

export function newRunId(): string {
  return `ag${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** The outer watchdog for grading these exercises: their time limits added up, and some slack. */
export function watchdogMs(exercises: ReadonlyArray<{ spec: Pick<ExerciseSpec, 'timeout'> }>): number {
  const limits = exercises.map(({ spec }) => timeoutMs(spec.timeout, LIMITS.exercise));
  return limits.reduce((total, limit) => total + limit, 0) + WATCHDOG_SLACK_MS;
}

export interface SessionOptions {
  runId?: string;
  /** The engine (a DOCKER_HOST value); default DOCKER_HOST, else the local socket. */
  host?: string;
  log: (line: string) => void;
  /** Past this, the run is abandoned as an infrastructure error (exit 3) and cleaned up. */
  watchdogMs?: number;
  /**
   * Called before the process exits on a signal or at the watchdog, with the one-line reason
   * (e.g. to set the action's outputs). Must be synchronous and quick.
   */
  onAbandon?: (reason: string) => void;
}

/** A session that has not ended: what the signal handler must clean up. */
interface LiveSession {
  /** Reports the reason, stops the run's work, removes what carries its label; never rejects. */
  abandon(reason: string): Promise<void>;
}

/**
 * One process-wide registry, not one handler per session: concurrent sessions (a class graded
 * several students at a time) each clean up when a signal comes, all at once, and the process
 * exits once, after the last of them (a handler per session let the first one's exit cut the
 * others' cleanup short).
 */
const liveSessions = new Set<LiveSession>();
let abandoningAll = false;

function onSignal(signal: NodeJS.Signals): void {
  abandonAll(`${signal} received`, signal === 'SIGINT' ? 130 : 143);
}

function abandonAll(reason: string, exitCode: number): void {
  // A second signal during cleanup (the runner sends SIGINT, then SIGTERM) changes nothing.
  if (abandoningAll) return;
  abandoningAll = true;
  // Students' clients are cut off the engine first, so that nothing new is created meanwhile.
  killStudentProcesses();
  const sessions = [...liveSessions];
  void Promise.allSettled(sessions.map((session) => session.abandon(reason))).finally(() =>
    process.exit(exitCode),
  );
}

function register(session: LiveSession): void {
  // `on`, not `once`: a second signal must not kill the process with its default action
  // before cleanup is done. The handlers stay while any session lives.
  if (liveSessions.size === 0) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  liveSessions.add(session);
}

function unregister(session: LiveSession): void {
  liveSessions.delete(session);
  if (liveSessions.size === 0 && !abandoningAll) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Holds the signal handlers for the whole of `work`, not only while a session lives: a class
 * regrade between two students has no session, and a signal then would end the process by its
 * default action (no exit code 130, the gradebook's writer cut off). With the hold, the signal
 * abandons whatever sessions live (none, or those graded at once) and exits as during one.
 */
export async function withSignalsHeld<T>(work: () => Promise<T>): Promise<T> {
  const hold: LiveSession = { abandon: async () => undefined };
  register(hold);
  try {
    return await work();
  } finally {
    unregister(hold);
  }
}

export async function withEngine<T>(
  run: (engine: Engine) => Promise<T>,
  options: SessionOptions,
): Promise<T> {
  // After a signal, nothing new starts: a class regrade would otherwise go on to the next
  // student while the others are cleaned up, and what it builds would outlive the exit.
  if (abandoningAll) throw new InfraError('grading was interrupted: nothing more is asked of the engine');
  const runId = options.runId ?? newRunId();
  const engine = createDockerEngine(runId, options.host || undefined);
  let abandoned = false;
  const session: LiveSession = {
    abandon: async (reason) => {
      abandoned = true;
      options.log(`${reason}: removing this run's containers, networks, volumes and images`);
      try {
        options.onAbandon?.(reason);
      } catch (error) {
        options.log(`could not report the interruption: ${errorMessage(error)}`);
      }
      await cleanUpAfterAbandon(engine, runId, options.host, options.log);
    },
  };
  register(session);
  const watchdog =
    options.watchdogMs === undefined
      ? undefined
      : setTimeout(() => {
          const reason = new InfraError(
            `grading did not finish within ${formatDuration(options.watchdogMs ?? 0)} (the exercises' time limits and some slack): the Docker engine or the machine is stuck`,
            'timeout',
          ).message;
          abandonAll(reason, ExitCode.infrastructure);
        }, options.watchdogMs);
  // The watchdog must not keep a finished run alive.
  watchdog?.unref();
  try {
    return await run(engine);
  } finally {
    clearTimeout(watchdog);
    // Ends the daemon watch and anything still in flight: the run is over. An abandoned
    // session stays registered: its cleanup is running, and the process exits after it.
    if (!abandoned && !abandoningAll) {
      engine.close();
      unregister(session);
    }
  }
}

/**
 * Stops everything the run still does, then removes what carries its label, through a fresh
 * engine object (the run's own one refuses every request once closed), within
 * ABANDON_CLEANUP_MS: a first pass at once, another for each thing of the run the engine
 * reports afterwards (what was in flight when the signal came landing late), and a last one.
 */
async function cleanUpAfterAbandon(
  engine: DockerEngine,
  runId: string,
  host: string | undefined,
  log: (line: string) => void,
): Promise<void> {
  const startedAt = Date.now();
  engine.close();
  const cleaner = createDockerEngine(runId, host || undefined);
  const failures = new Set<string>();
  const pass = async (): Promise<void> => {
    const removed = await cleaner.removeResources();
    for (const failure of removed.failures) failures.add(failure);
  };
  // Passes never overlap: an event during a pass asks for one more after it.
  let running: Promise<void> = Promise.resolve();
  let wanted = false;
  const sweep = (): void => {
    if (wanted) return;
    wanted = true;
    running = running.then(() => {
      wanted = false;
      return pass();
    });
  };
  const stopWatching = cleaner.watchRunEvents(sweep);
  const passes = (async () => {
    sweep();
    await running;
    await lateArrivalsWindow(startedAt + LATE_ARRIVALS_MS - Date.now());
    stopWatching();
    sweep();
    await running;
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ABANDON_CLEANUP_MS);
  });
  try {
    if ((await Promise.race([passes, deadline])) === 'late') {
      log(
        `cleanup did not finish within ${formatDuration(ABANDON_CLEANUP_MS)}; the action's post step tries again`,
      );
    }
  } catch (error) {
    log(`cleanup failed: ${errorMessage(error)}`);
  } finally {
    clearTimeout(timer);
    stopWatching();
    cleaner.close();
    for (const failure of failures) log(`could not remove: ${failure}`);
  }
}

/** The window in which late arrivals of the run are swept as the engine reports them. */
function lateArrivalsWindow(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
