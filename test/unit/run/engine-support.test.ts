// The start-of-exercise check of what an exercise needs that the engine cannot give: the
// decision on its own, and grade() on a fake Engine that answers as Podman does (its identity
// taken from the real Podman 4.3.1 /version answer).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { EngineInfo } from '../../../src/engine/engine';
import { identifyEngine } from '../../../src/engine/engine-kind';
import { grade } from '../../../src/grading/grade';
import { engineShortfall } from '../../../src/run/engine-support';
import { parseExercise } from '../../../src/spec/load';
import { FakeEngine } from '../../support/fake-engine';
import { BUILD_AND_RUN, submissionWithDockerfile } from '../../support/grading-fixtures';

/** The engine a recorded /version answer (test/fixtures/engine-version/<file>) identifies. */
function engineOf(file: string): EngineInfo['identity'] {
  const answer = readFileSync(path.join(__dirname, '../../fixtures', 'engine-version', file), 'utf8');
  return identifyEngine(JSON.parse(answer));
}
const PODMAN = engineOf('podman-4.3.1.json');
const DOCKER = engineOf('docker-26.1.json');

/** The YAML of exercise demo/<id>: its header, then `body` (its steps and checks). */
const exercise = (id: string, body: object): string =>
  stringify({ version: 1, id: `demo/${id}`, title: id, ...body });

// Each exercise below needs one thing of the engine; the rest is as plain as an exercise gets.
const BUILD_APP = { build: { name: 'app' } };
/** A check the image built from any submission passes. */
const WORKDIR = { name: 'workdir', points: 1, image: { name: 'app' }, expect: { workdir: '/app' } };
/** A check that `true` runs in `container`. */
const runsTrue = (name: string, container: string) => ({
  name,
  points: 1,
  exec: { container, command: ['true'] },
  expect: { exitCode: 0 },
});

const BUILD_CACHE = exercise('cache', {
  steps: [BUILD_APP],
  checks: [
    {
      name: 'install cached',
      points: 3,
      'build-cache': { build: 'app', change: 'app.py' },
      expect: { fromCache: [{ installs: 'pip' }] },
    },
    WORKDIR,
  ],
});
const BUILD_ARGS = exercise('args', {
  steps: [{ build: { name: 'app', args: { PY_VERSION: '3.11-slim' } } }],
  checks: [WORKDIR],
});
const SCRIPT = exercise('script', {
  steps: [{ script: { file: 'run.sh' } }],
  checks: [runsTrue('hello ran', 'hello')],
});
const COMPOSE_IN_A_CHECK = exercise('compose-check', {
  checks: [{ ...runsTrue('up again', 'web'), steps: [{ compose: { action: 'up' } }] }],
});
const CONTAINER = exercise('container', {
  steps: [BUILD_APP, { run: { name: 'web', image: 'app' } }],
  checks: [{ name: 'runs', points: 1, container: { name: 'web' }, expect: { running: true } }],
});

const specOf = (text: string) => parseExercise(text, 'x/exercise.yaml').spec;

describe('engineShortfall', () => {
  it('lets Docker grade every exercise', () => {
    for (const text of [BUILD_AND_RUN, BUILD_CACHE, BUILD_ARGS, SCRIPT, COMPOSE_IN_A_CHECK, CONTAINER]) {
      expect(engineShortfall(specOf(text), DOCKER)).toBeUndefined();
    }
  });

  it('lets an engine that did not say what it is (a fake, an old answer) grade every exercise', () => {
    expect(engineShortfall(specOf(SCRIPT), undefined)).toBeUndefined();
  });

  it("lets Podman grade the grader's own builds, runs, image and exec checks", () => {
    expect(engineShortfall(specOf(BUILD_AND_RUN), PODMAN)).toBeUndefined();
  });

  it('stops on Podman what it measurably cannot grade, in one line naming the engine and the reason', () => {
    const cases: Array<[string, RegExp]> = [
      [BUILD_CACHE, /Buildah.*build-cache check/],
      [BUILD_ARGS, /Buildah fills FROM with a build argument/],
      [SCRIPT, /script and compose steps/],
      [COMPOSE_IN_A_CHECK, /script and compose steps/],
      [CONTAINER, /process listing/],
    ];
    for (const [text, reason] of cases) {
      const message = engineShortfall(specOf(text), PODMAN);
      expect(message).toMatch(/^Podman Engine 4\.3\.1 cannot grade this exercise: /);
      expect(message).toMatch(reason);
      expect(message).not.toContain('\n');
    }
  });
});

/** A fake engine that says it is the engine `identity` names. */
class IdentifiedEngine extends FakeEngine {
  constructor(private readonly identity: EngineInfo['identity']) {
    super();
  }
  override async info(): Promise<EngineInfo> {
    const info = await super.info();
    return { ...info, serverVersion: '4.3.1', ...(this.identity ? { identity: this.identity } : {}) };
  }
}

const submission = () => submissionWithDockerfile({ 'app.py': 'print(1)\n' });

describe('grade() on Podman', () => {
  it('ends an exercise Podman cannot grade as an engine error before any step, every check errored', async () => {
    const engine = new IdentifiedEngine(PODMAN);
    const lines: string[] = [];
    const report = await grade([parseExercise(BUILD_CACHE, 'demo/exercise.yaml')], {
      engine,
      submissionRoot: submission(),
      progress: { info: (line) => lines.push(line), output: () => {} },
    });
    const result = report.exercises[0];
    expect(result?.status).toBe('error');
    expect(result?.checks.map((check) => check.status)).toEqual(['error', 'error']);
    expect(result?.setupError).toMatch(/^Podman Engine 4\.3\.1 cannot grade this exercise: .*build-cache/);
    // Nothing of the exercise ran: no build, no container.
    expect(engine.calls.filter((call) => call.startsWith('build') || call.startsWith('create'))).toEqual([]);
    expect(lines[0]).toMatch(/^Podman Engine 4\.3\.1 \(API 1\.41\), run fake-run$/);
  });

  it('grades an exercise Podman can grade as it would on Docker', async () => {
    const onPodman = await grade([parseExercise(BUILD_AND_RUN, 'demo/exercise.yaml')], {
      engine: new IdentifiedEngine(PODMAN),
      submissionRoot: submission(),
    });
    const onDocker = await grade([parseExercise(BUILD_AND_RUN, 'demo/exercise.yaml')], {
      engine: new IdentifiedEngine(DOCKER),
      submissionRoot: submission(),
    });
    expect(onPodman).toMatchObject({ score: 5, maxScore: 5, passed: true });
    expect(onPodman.exercises[0]?.checks.map((check) => check.status)).toEqual(
      onDocker.exercises[0]?.checks.map((check) => check.status),
    );
  });
});
