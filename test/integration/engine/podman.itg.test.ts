// The grader on Podman's Docker-compatible service (scripts/provision-podman.sh), whatever engine
// the rest of the suite runs on: only when that service answers on PODMAN_HOST (default
// unix:///run/podman-ag/podman.sock), skipped otherwise, saying why. CI does not provision
// Podman (docs/engines.md, "Podman").
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerEngine } from '../../../src/engine/docker-engine';
import { grade } from '../../../src/grading/grade';
import { loadExercises } from '../../../src/spec/discover';
import { EXAMPLE, ROOT } from '../../support/integration';

const PODMAN_HOST = process.env.PODMAN_HOST || 'unix:///run/podman-ag/podman.sock';

function podmanAnswers(): string | undefined {
  const socket = PODMAN_HOST.replace(/^unix:\/\//, '');
  try {
    const answer = execFileSync(
      'curl',
      ['-fsS', '--max-time', '5', '--unix-socket', socket, 'http://podman/version'],
      {
        encoding: 'utf8',
      },
    );
    return /"Name":"Podman Engine"/.test(answer) ? undefined : `${PODMAN_HOST} answers, but not as Podman`;
  } catch {
    return `no Podman service answers on ${PODMAN_HOST} (bash scripts/provision-podman.sh starts one)`;
  }
}

const skipReason = podmanAnswers();
if (skipReason !== undefined) console.log(`engine-podman: skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('the grader on Podman', () => {
  const engine = createDockerEngine(`itg-podman-${Date.now()}`, PODMAN_HOST);

  afterAll(async () => {
    const left = await engine.removeResources();
    expect(left.failures).toEqual([]);
    // Podman lists the run's images as docker.io/docker-autograder/…: none may remain.
    const socket = PODMAN_HOST.replace(/^unix:\/\//, '');
    const listed = JSON.parse(
      execFileSync('curl', ['-fsS', '--unix-socket', socket, 'http://podman/images/json'], {
        encoding: 'utf8',
      }),
    ) as Array<{ RepoTags?: string[] }>;
    expect(
      listed.flatMap((image) => image.RepoTags ?? []).filter((tag) => tag.includes(engine.runId)),
    ).toEqual([]);
  });

  it('identifies the engine as Podman', async () => {
    const info = await engine.info();
    expect(info.identity?.product).toBe('podman');
    expect(info.identity?.display).toMatch(/^Podman Engine \d/);
  });

  it("grades the example's reference as Docker does: its own build, run, image, exec and HTTP checks", async () => {
    const [exercise] = await loadExercises([EXAMPLE]);
    if (exercise === undefined) throw new Error('the example exercise is missing');
    const report = await grade([exercise], {
      engine,
      submissionRoot: path.join(EXAMPLE, 'solutions', 'reference'),
    });
    expect(report.exercises[0]?.checks.filter((check) => check.status !== 'pass')).toEqual([]);
    expect(report).toMatchObject({ score: report.maxScore, passed: true });
  });

  it('ends an exercise Podman cannot grade at its start, as an engine error in one line', async () => {
    const [exercise] = await loadExercises([path.join(ROOT, 'exercises/images/layers-and-cache')]);
    if (exercise === undefined) throw new Error('images/layers-and-cache is missing');
    const report = await grade([exercise], {
      engine,
      submissionRoot: path.join(ROOT, 'exercises/images/layers-and-cache/solutions/reference'),
    });
    const result = report.exercises[0];
    expect(result?.status).toBe('error');
    expect(result?.setupError).toMatch(/^Podman Engine [\d.]+ cannot grade this exercise: .*build-cache/);
    expect(result?.checks.every((check) => check.status === 'error')).toBe(true);
  });
});
