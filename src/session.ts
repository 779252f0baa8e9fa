// One grading session: a fresh run id, an engine, and cleanup that also runs on SIGINT/SIGTERM
// (a cancelled CI job gets a few seconds before it is killed).
import { randomBytes } from 'node:crypto';
import { createDockerEngine } from './engine/docker-engine';
import type { Engine } from './engine/engine';
import { errorMessage } from './errors';
import { killStudentProcesses } from './steps/student-docker';

export function newRunId(): string {
  return `ag${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export async function withEngine<T>(
  run: (engine: Engine) => Promise<T>,
  options: { runId?: string; log: (line: string) => void },
): Promise<T> {
  const engine = createDockerEngine(options.runId ?? newRunId());
  const onSignal = (signal: NodeJS.Signals): void => {
    options.log(`${signal} received: removing this run's containers, networks, volumes and images`);
    // First stop what students' scripts run, so that nothing is created while we clean up.
    killStudentProcesses();
    engine
      .removeResources()
      .catch((error: unknown) => options.log(`cleanup failed: ${errorMessage(error)}`))
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await run(engine);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
