// One grading session: a fresh run id, an engine, and cleanup that also runs on SIGINT/SIGTERM
// (a cancelled CI job gets about 7.5 s before it is killed) and when the outer watchdog fires
// (a daemon that hangs must not hang the grader).
import { randomBytes } from 'node:crypto';
import { createDockerEngine, type DockerEngine } from './engine/docker-engine';
import type { Engine } from './engine/engine';
import { ExitCode, errorMessage, InfraError } from './errors';
import { formatDuration, LIMITS, timeoutMs } from './spec/duration';
import type { ExerciseSpec } from './spec/types';
import { killStudentProcesses } from './steps/student-docker';

/**
 * Cleanup after a signal gets this long, in two passes: one at once, one after what was in
 * flight when the signal came (a create the daemon had not finished) has landed.
 */
const SIGNAL_CLEANUP_MS = 5_000;
const SECOND_PASS_AFTER_MS = 1_000;
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
  log: (line: string) => void;
  /** Past this, the run is abandoned as an infrastructure error (exit 3) and cleaned up. */
  watchdogMs?: number;
  /**
   * Called before the process exits on a signal or at the watchdog, with the one-line reason
   * (e.g. to set the action's outputs). Must be synchronous and quick.
   */
  onAbandon?: (reason: string) => void;
}

export async function withEngine<T>(
  run: (engine: Engine) => Promise<T>,
  options: SessionOptions,
): Promise<T> {
  const runId = options.runId ?? newRunId();
  const engine = createDockerEngine(runId);
  let abandoning = false;
  const abandon = (reason: string, exitCode: number): void => {
    if (abandoning) return;
    abandoning = true;
    options.log(`${reason}: removing this run's containers, networks, volumes and images`);
    try {
      options.onAbandon?.(reason);
    } catch (error) {
      options.log(`could not report the interruption: ${errorMessage(error)}`);
    }
    void cleanUpAfterAbandon(engine, runId, options.log).finally(() => process.exit(exitCode));
  };
  const onSignal = (signal: NodeJS.Signals): void =>
    abandon(`${signal} received`, signal === 'SIGINT' ? 130 : 143);
  // `on`, not `once`: a second signal during cleanup (the runner sends SIGINT, then SIGTERM)
  // must not kill the process with its default action before cleanup is done.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const watchdog =
    options.watchdogMs === undefined
      ? undefined
      : setTimeout(() => {
          const reason = new InfraError(
            `grading did not finish within ${formatDuration(options.watchdogMs ?? 0)} (the exercises' time limits and some slack): the Docker engine or the machine is stuck`,
            'timeout',
          ).message;
          abandon(reason, ExitCode.infrastructure);
        }, options.watchdogMs);
  // The watchdog must not keep a finished run alive.
  watchdog?.unref();
  try {
    return await run(engine);
  } finally {
    clearTimeout(watchdog);
    if (!abandoning) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

/**
 * Stops everything the run still does, then removes what carries its label, through a fresh
 * engine object (the run's own one refuses every request once closed), within SIGNAL_CLEANUP_MS.
 */
async function cleanUpAfterAbandon(
  engine: DockerEngine,
  runId: string,
  log: (line: string) => void,
): Promise<void> {
  // First stop what students' scripts run and what is in flight, so that nothing new is created.
  killStudentProcesses();
  engine.close();
  const cleaner = createDockerEngine(runId);
  const pass = async (): Promise<void> => {
    const removed = await cleaner.removeResources();
    for (const failure of removed.failures) log(`could not remove: ${failure}`);
  };
  const passes = (async () => {
    await pass();
    await new Promise((resolve) => setTimeout(resolve, SECOND_PASS_AFTER_MS));
    await pass();
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log(
        `cleanup did not finish within ${formatDuration(SIGNAL_CLEANUP_MS)}; the action's post step tries again`,
      );
      resolve();
    }, SIGNAL_CLEANUP_MS);
  });
  try {
    await Promise.race([passes, deadline]);
  } catch (error) {
    log(`cleanup failed: ${errorMessage(error)}`);
  } finally {
    clearTimeout(timer);
  }
}
