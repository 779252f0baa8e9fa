// A run context on the FakeEngine, and a FakeEngine that remembers what it was asked: for the unit
// tests of checks and steps (test/unit/checks, test/unit/steps), which run them without a daemon.
import type { Engine, ExecRequest, ExecResult, LogsResult } from '../../src/engine/engine';
import { scopeLabels } from '../../src/naming/labels';
import { Resources, type RunContext } from '../../src/run/context';
import type { HttpRequest, HttpResponse } from '../../src/shared/http-request';
import { FakeEngine } from './fake-engine';

export const SCOPE = 'fake-run-1';

export class RecordingEngine extends FakeEngine {
  readonly execRequests: ExecRequest[] = [];
  /** What logs() answers, by container id; the FakeEngine's default otherwise. */
  readonly logsById = new Map<string, LogsResult>();
  /** Containers that stop as soon as they start, with this exit code (probe helpers). */
  readonly exitOnStart = new Map<string, number>();

  override async exec(containerId: string, request: ExecRequest): Promise<ExecResult> {
    this.execRequests.push(request);
    return super.exec(containerId, request);
  }

  // Optional, as the FakeEngine's own takes no arguments.
  override async logs(containerId = ''): Promise<LogsResult> {
    return this.logsById.get(containerId) ?? super.logs();
  }

  override async startContainer(id: string): Promise<void> {
    await super.startContainer(id);
    const name = this.containers.get(id)?.name ?? '';
    for (const [prefix, code] of this.exitOnStart) {
      if (name.startsWith(prefix)) {
        this.runningById.set(id, false);
        this.exitCode = code;
      }
    }
  }

  /** A container as a run step (named `stepName`) would have made it. */
  async runStep(
    context: RunContext,
    stepName: string,
    extra: Partial<Parameters<FakeEngine['createContainer']>[0]> = {},
  ) {
    const request = { name: `${SCOPE}-${stepName}`, image: 'busybox', labels: scopeLabels(SCOPE), ...extra };
    const id = await this.createContainer(request);
    await this.startContainer(id);
    context.resources.containers.add(stepName, { id, name: request.name, ports: [], request });
    return id;
  }
}

export function contextOn(
  engine: Engine,
  http: (request: HttpRequest) => Promise<HttpResponse> = async () => {
    throw new Error('no HTTP in this test');
  },
): RunContext {
  return {
    exerciseId: 'test/checks',
    engine,
    http,
    resources: new Resources(),
    submissionRoot: '/work/submission',
    submissionDir: '/work/submission',
    scope: SCOPE,
    deadline: Date.now() + 60_000,
    progress: { info: () => {}, output: () => {} },
    now: Date.now,
  };
}
