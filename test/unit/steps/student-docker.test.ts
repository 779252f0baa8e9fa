// The engine gate around a student's client container (src/steps/student-docker.ts): it must be
// closed, and its socket folder gone, however the step ends, an engine that fails to remove the
// client container included: an open gate would let the student's processes keep going.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContainerRequest } from '../../../src/engine/engine';
import type { RunContext } from '../../../src/run/context';
import { CLIENT_IMAGE } from '../../../src/steps/client-image';
import { runStudentDocker } from '../../../src/steps/student-docker';
import { EMPTY_IMAGE, FakeEngine, fakeRunContext } from '../../support/fake-engine';
import { accepts } from '../../support/sockets';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** An engine whose client container exits at once, and which then fails to remove it. */
class FailingRemoval extends FakeEngine {
  gateDir: string | undefined;
  override async createContainer(request: ContainerRequest): Promise<string> {
    this.gateDir = request.mounts?.find((mount) => mount.target === '/run/docker-autograder')?.source;
    return super.createContainer(request);
  }
  override async removeContainer(): Promise<void> {
    throw new Error('the engine failed to remove the client container');
  }
}

function context(engine: FakeEngine): RunContext {
  const submissionDir = mkdtempSync(path.join(os.tmpdir(), 'student-docker-'));
  dirs.push(submissionDir);
  mkdirSync(path.join(submissionDir, 'sub'));
  return fakeRunContext(engine, submissionDir, 'unit/student-docker');
}

describe('the engine gate of a client container', () => {
  it('is closed and its folder removed even when removing the client container fails', async () => {
    const engine = new FailingRemoval();
    engine.images.set(CLIENT_IMAGE, { ...EMPTY_IMAGE, tags: [CLIENT_IMAGE] });
    engine.running = false;
    const ctx = context(engine);
    await expect(
      runStudentDocker(ctx, 'bash', ['run.sh'], { cwd: ctx.submissionDir, timeoutMs: 10_000 }),
    ).rejects.toThrow(/failed to remove the client container/);
    const gateDir = engine.gateDir ?? '';
    expect(gateDir).not.toBe('');
    expect(existsSync(gateDir)).toBe(false);
    expect(await accepts(path.join(gateDir, 'docker.sock'))).toBe(false);
  });
});
