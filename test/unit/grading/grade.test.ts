import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BuildRequest, BuildResult, CleanupReport, ResourceFilter } from '../../../src/engine/engine';
import { grade } from '../../../src/grading/grade';
import { InfraError } from '../../../src/shared/errors';
import { parseExercise } from '../../../src/spec/load';
import { EMPTY_IMAGE, execAnswer, FakeEngine } from '../../support/fake-engine';
import { BUILD_AND_RUN, submissionWithDockerfile } from '../../support/grading-fixtures';

const SPEC = BUILD_AND_RUN;
const submission = () => submissionWithDockerfile();

const exercise = () => parseExercise(SPEC, 'demo/exercise.yaml');

describe('grade', () => {
  it('scores every check and cleans up each exercise and the run', async () => {
    const engine = new FakeEngine();
    const report = await grade([exercise()], { engine, submissionRoot: submission() });
    expect(report).toMatchObject({ score: 5, maxScore: 5, passed: true });
    expect(report.exercises[0]?.checks.map((check) => check.status)).toEqual(['pass', 'pass']);
    expect(engine.calls).toContain('create fake-run-1-web from docker-autograder/fake-run-1-app:latest');
    // The exercise's resources, then the run's; images in their own call, which takes turns
    // with builds.
    expect(engine.removed).toEqual([
      { scope: 'fake-run-1', only: 'runtime' },
      { scope: 'fake-run-1', only: 'images' },
      { only: 'runtime' },
      { only: 'images' },
    ]);
  });

  it('reports expected, actual and the hint of a failed check', async () => {
    const engine = new FakeEngine();
    engine.execResult = execAnswer(1, 'bye\n');
    const report = await grade([exercise()], { engine, submissionRoot: submission() });
    const failed = report.exercises[0]?.checks[1];
    expect(failed).toMatchObject({ status: 'fail', points: 0, maxPoints: 3, hint: 'echo hello' });
    expect(failed?.expected).toBe('stdout: equals "hello"\nexitCode: equals 0');
    expect(failed?.actual).toBe('stdout: bye\n\nexitCode: 1');
    // The spec is the instructor's: the student-facing location stays empty.
    expect(failed?.specLocation).toEqual({ file: 'demo/exercise.yaml', line: 12, column: 5 });
    expect(failed?.location).toBeUndefined();
    expect(report).toMatchObject({ score: 2, passed: false });
  });

  it('keeps grading after a failed build, and says why in the exercise', async () => {
    const engine = new FakeEngine();
    engine.buildResult = {
      ok: false,
      error: 'RUN false returned 1',
      log: 'Step 1/2\nE: Unable to locate package flask\nRemoving intermediate container 1\nerror',
    };
    const report = await grade([exercise()], { engine, submissionRoot: submission() });
    const result = report.exercises[0];
    expect(result?.setupError).toContain('RUN false returned 1');
    expect(result?.setupLog).toContain('error');
    expect(result?.firstError).toBe('E: Unable to locate package flask');
    // Both checks look at what the build would have made: they say so, with no hint of their own.
    for (const check of result?.checks ?? []) {
      expect(check).toMatchObject({ status: 'fail', points: 0, causedBySetup: true });
      expect(check.message).toBe(
        'not checked: the setup step "build image "app" from Dockerfile" failed before this check could look (see the setup error)',
      );
      expect(check.hint).toBeUndefined();
      expect(check.expected).toBeUndefined();
    }
    expect(engine.calls.some((call) => call.startsWith('create'))).toBe(false);
  });

  it('keeps its own hint for a check that does not depend on the failed step', async () => {
    const spec = `version: 1
id: demo/attribution
title: Attribution
steps:
  - build: { name: app }
  - run: { name: web, image: app }
  - copy: { from: missing.txt, to: { container: web, path: /srv/ } }
checks:
  - name: workdir
    hint: Set WORKDIR /srv
    image: { name: app }
    expect: { workdir: /srv }
  - name: serves the file
    hint: Copy the file
    exec: { container: web, command: [cat, /srv/missing.txt] }
    expect: { exitCode: 0 }
  - name: base image
    hint: Start FROM python
    dockerfile: {}
    expect: { baseImages: { includes: python } }
`;
    const engine = new FakeEngine();
    engine.execResult = execAnswer(1, '', 'no such file');
    const report = await grade([parseExercise(spec, 'demo/exercise.yaml')], {
      engine,
      submissionRoot: submission(),
    });
    const [workdir, serves, base] = report.exercises[0]?.checks ?? [];
    expect(report.exercises[0]?.setupError).toMatch(/missing\.txt/);
    // The build step finished: the image's own observation failed, so its hint stands.
    expect(workdir).toMatchObject({ status: 'fail', hint: 'Set WORKDIR /srv', expected: 'equals "/srv"' });
    expect(workdir?.causedBySetup).toBeUndefined();
    // The copy into "web" failed: the exec check's outcome is the step's, not its own.
    expect(serves).toMatchObject({ status: 'fail', causedBySetup: true });
    expect(serves?.hint).toBeUndefined();
    expect(serves?.message).toMatch(/^not checked: the setup step "copy .*" failed/);
    // The Dockerfile is the student's file, read by no step: its location is the student's.
    expect(base).toMatchObject({ status: 'fail', hint: 'Start FROM python' });
    expect(base?.location?.file).toMatch(/Dockerfile$/);
    expect(base?.specLocation?.file).toBe('demo/exercise.yaml');
  });

  it('fails the checks of a missing submission folder without touching the engine', async () => {
    const engine = new FakeEngine();
    const report = await grade([exercise()], { engine, submissionRoot: '/nonexistent/submission' });
    expect(report.exercises[0]?.setupError).toMatch(/submission folder "\." does not exist/);
    expect(engine.calls.filter((call) => call.startsWith('build'))).toEqual([]);
  });

  it.each([
    [
      'refuses a submission folder that is a link to outside the submission',
      () => mkdtempSync(path.join(tmpdir(), 'grade-root-')),
      'linked',
      'title: Demo',
      'title: Demo\nsubmission: linked',
      'the submission folder "linked" is a link to outside the submission',
    ],
    [
      'refuses a build context that is a link to outside the submission',
      submission,
      'elsewhere',
      'build: { name: app }',
      'build: { name: app, context: elsewhere }',
      expect.stringMatching(/build context "elsewhere" leads outside the submission folder/),
    ],
  ])('%s', async (_title, makeRoot, link, from, to, setupError) => {
    const root = makeRoot();
    symlinkSync(submission(), path.join(root, link));
    const linked = parseExercise(SPEC.replace(from, to), 'demo/exercise.yaml');
    const engine = new FakeEngine();
    const report = await grade([linked], { engine, submissionRoot: root });
    expect(report.exercises[0]?.setupError).toEqual(setupError);
    expect(engine.calls.filter((call) => call.startsWith('build'))).toEqual([]);
  });

  it('turns an engine failure into status error, never a zero grade', async () => {
    const engine = new FakeEngine();
    engine.failure = new InfraError('Docker engine not reachable');
    engine.failAfterCalls = 3;
    const report = await grade([exercise(), exercise()], { engine, submissionRoot: submission() });
    expect(report.exercises.map((result) => result.status)).toEqual(['error', 'error']);
    expect(report.exercises[0]?.checks.every((check) => check.status === 'error')).toBe(true);
    expect(report.exercises[0]?.setupError).toBe('Docker engine not reachable');
    expect(report.passed).toBe(false);
  });

  it('says the daemon restarted when a call failed after it did, not only that it is unreachable', async () => {
    // Engine 26 restarts fast enough that a call is refused before the checks end.
    class RestartedEngine extends FakeEngine {
      daemonLost(): string | undefined {
        return this.failure === undefined
          ? undefined
          : 'the Docker engine stopped or restarted during the run';
      }
    }
    const engine = new RestartedEngine();
    engine.failure = new InfraError('Docker engine not reachable. Is dockerd running?', 'unreachable');
    engine.failAfterCalls = 3;
    const report = await grade([exercise()], { engine, submissionRoot: submission() });
    expect(report.exercises[0]?.status).toBe('error');
    expect(report.exercises[0]?.setupError).toBe('the Docker engine stopped or restarted during the run');
  });

  it('says the engine went away during the run when it answered at the start and no longer does', async () => {
    // Before its event stream ends: Engine 26 removes its socket while it still stops containers.
    const engine = new FakeEngine();
    engine.failure = new InfraError(
      'Docker engine not reachable at unix:///x.sock. Is dockerd running?',
      'unreachable',
    );
    engine.failAfterCalls = 3;
    const report = await grade([exercise()], { engine, submissionRoot: submission() });
    expect(report.exercises[0]?.setupError).toBe(
      'the Docker engine stopped or restarted during the run: Docker engine not reachable at unix:///x.sock. Is dockerd running?',
    );
  });

  it('fails checks that the exercise time limit leaves no time for', async () => {
    const engine = new FakeEngine();
    let clock = 0;
    const now = () => {
      clock += 400_000; // each reading of the clock advances it by 6m40s
      return clock;
    };
    const report = await grade([exercise()], { engine, submissionRoot: submission(), now });
    const late = report.exercises[0]?.checks.filter((check) => /time limit of 10m0s/.test(check.message));
    expect(late?.length).toBeGreaterThan(0);
    // The hint explains the check's own observation, which never happened.
    expect(late?.every((check) => check.hint === undefined)).toBe(true);
  });
});

function gradeSpec(spec: string, engine = new FakeEngine(), dir = submission()) {
  return grade([parseExercise(spec, 'demo/exercise.yaml')], { engine, submissionRoot: dir });
}

const HEADER = `version: 1
id: demo/scoring
title: Scoring
steps:
  - run: { name: web, image: busybox }
checks:
`;

describe('scoring', () => {
  it('gives partial credit per expectation that holds, and still fails the check', async () => {
    const engine = new FakeEngine();
    engine.execResult = execAnswer(0, 'bye\n', 'oops');
    const report = await gradeSpec(
      `${HEADER}  - name: three expectations
    points: 3
    partial: true
    exec: { container: web, command: [cat, /x] }
    expect: { stdout: hello, stderr: '', exitCode: 0 }
`,
      engine,
    );
    const check = report.exercises[0]?.checks[0];
    expect(check).toMatchObject({ status: 'fail', points: 1, maxPoints: 3 });
    expect(check?.message).toBe('stdout, stderr not as expected (1 of 3 held)');
    expect(report.exercises[0]).toMatchObject({ score: 1, maxScore: 3, status: 'fail' });
  });

  it('does not pass an exercise with a failing 0-point check', async () => {
    const engine = new FakeEngine();
    engine.execResult = execAnswer(1, 'bye\n');
    const zeroPoint = parseExercise(SPEC.replace('    points: 3\n', '    points: 0\n'), 'demo/exercise.yaml');
    const report = await grade([zeroPoint], { engine, submissionRoot: submission() });
    expect(report).toMatchObject({ score: 2, maxScore: 2, passed: false });
    expect(report.exercises[0]?.status).toBe('fail');
  });

  it('rounds partial points to hundredths', async () => {
    const engine = new FakeEngine();
    engine.execResult = execAnswer(0, 'hello', 'x');
    const report = await gradeSpec(
      `${HEADER}  - name: partial
    points: 2
    partial: true
    exec: { container: web, command: [cat, /x] }
    expect: { stdout: hello, stderr: '', exitCode: 0 }
`,
      engine,
    );
    expect(report.exercises[0]?.checks[0]?.points).toBe(1.33);
  });

  it('passes a partial check only when every expectation holds', async () => {
    const report = await gradeSpec(`${HEADER}  - name: all hold
    points: 4
    partial: true
    exec: { container: web, command: [cat, /x] }
    expect: { stdout: hello, exitCode: 0 }
`);
    expect(report.exercises[0]?.checks[0]).toMatchObject({ status: 'pass', points: 4, message: 'passed' });
  });

  it('skips every check after a required check that did not pass, keeping their points possible', async () => {
    const engine = new FakeEngine();
    engine.execResult = execAnswer(1);
    const report = await gradeSpec(
      `${HEADER}  - name: before the gate
    image: { name: busybox }
    expect: { workdir: '' }
  - name: the app runs
    points: 2
    required: true
    partial: true
    exec: { container: web, command: ['true'] }
    expect: { exitCode: 0, stdout: '' }
  - name: after the gate
    points: 3
    exec: { container: web, command: ['true'] }
    expect: { exitCode: 1 }
  - name: also after the gate
    image: { name: busybox }
    expect: { workdir: '' }
`,
      engine,
    );
    const exercise = report.exercises[0];
    expect(exercise?.checks.map((check) => check.status)).toEqual(['pass', 'fail', 'skipped', 'skipped']);
    expect(exercise?.checks[1]?.points).toBe(1);
    expect(exercise?.checks[2]).toMatchObject({
      points: 0,
      maxPoints: 3,
      message: 'skipped: the required check "the app runs" did not pass',
    });
    expect(exercise).toMatchObject({ score: 2, maxScore: 7, status: 'fail' });
    // A skipped check observes nothing: the engine saw one exec, the required check's.
    expect(engine.calls.filter((call) => call.startsWith('exec'))).toHaveLength(1);
  });

  it('lets the checks after a required check that passed run', async () => {
    const report = await gradeSpec(`${HEADER}  - name: gate
    required: true
    exec: { container: web, command: ['true'] }
    expect: { exitCode: 0 }
  - name: after
    image: { name: busybox }
    expect: { workdir: '' }
`);
    expect(report.exercises[0]?.checks.map((check) => check.status)).toEqual(['pass', 'pass']);
  });

  it('marks hidden checks, whatever their status, and scores them as usual', async () => {
    const report = await gradeSpec(`${HEADER}  - name: hidden pass
    visibility: hidden
    image: { name: busybox }
    expect: { workdir: '' }
  - name: hidden fail
    visibility: hidden
    points: 2
    image: { name: busybox }
    expect: { workdir: /app }
  - name: visible
    visibility: visible
    image: { name: busybox }
    expect: { workdir: '' }
`);
    const checks = report.exercises[0]?.checks ?? [];
    expect(checks.map((check) => check.hidden)).toEqual([true, true, undefined]);
    expect(checks[1]).toMatchObject({ status: 'fail', points: 0, expected: 'equals "/app"' });
    expect(report.exercises[0]?.score).toBe(2);
  });

  it("runs a check's own steps just before it observes, and fails it with a failing step's message", async () => {
    const engine = new FakeEngine();
    engine.execResult = execAnswer(3, 'boom\n');
    const report = await gradeSpec(
      `${HEADER}  - name: after a restart
    points: 2
    steps:
      - restart: { container: web }
      - exec: { container: web, command: [sh, -c, 'exit 3'] }
    exec: { container: web, command: ['true'] }
    expect: { exitCode: 3 }
`,
      engine,
    );
    const check = report.exercises[0]?.checks[0];
    expect(check).toMatchObject({ status: 'fail', points: 0, maxPoints: 2 });
    expect(check?.message).toMatch(/exited with code 3/);
    expect(check?.actual).toBe('exit code 3');
    const restart = engine.calls.findIndex((call) => call.startsWith('restart'));
    const execs = engine.calls
      .map((call, index) => (call.startsWith('exec') ? index : -1))
      .filter((i) => i >= 0);
    expect(restart).toBeGreaterThan(-1);
    // The step's exec ran after the restart, and the check's own exec never did.
    expect(execs).toHaveLength(1);
    expect(execs[0]).toBeGreaterThan(restart);
  });

  it('compares matcher maps key by key, named field.key', async () => {
    const engine = new FakeEngine();
    engine.images.set('busybox', {
      ...EMPTY_IMAGE,
      labels: {
        'org.opencontainers.image.title': 'app',
        maintainer: 'Ada',
        'org.docker-autograder.run': 'x',
      },
    });
    const report = await gradeSpec(
      `${HEADER}  - name: labels
    partial: true
    points: 3
    image: { name: busybox }
    expect:
      labels:
        org.opencontainers.image.title: app
        maintainer: { equals: ada, ignoreCase: true }
        version: { matches: '^1\\.' }
`,
      engine,
    );
    const check = report.exercises[0]?.checks[0];
    expect(check).toMatchObject({ status: 'fail', points: 2 });
    expect(check?.message).toBe('labels.version not as expected (2 of 3 held)');
    expect(check?.expected).toBe('matches /^1\\./');
    expect(check?.actual).toBe('(nothing)');
  });

  it('keeps expected and actual apart for several mismatches, with multi-line values indented', async () => {
    const engine = new FakeEngine();
    engine.execResult = execAnswer(2, 'one\ntwo\n');
    const report = await gradeSpec(
      `${HEADER}  - name: two mismatches
    exec: { container: web, command: ['true'] }
    expect: { stdout: "one\\nthree\\n", exitCode: 0 }
`,
      engine,
    );
    const check = report.exercises[0]?.checks[0];
    expect(check?.expected).toBe('stdout: equals "one\\nthree\\n"\nexitCode: equals 0');
    expect(check?.actual).toBe('stdout: one\n  two\n\nexitCode: 2');
    expect(check?.diff).toBe(
      ['--- expected stdout', '+++ actual stdout', '@@ -1,2 +1,2 @@', ' one', '-three', '+two'].join('\n'),
    );
  });
});

describe('grade: read-only checks', () => {
  const spec = (between: string) => `version: 1
id: demo/images
title: Images
steps:
  - build: { name: app }
checks:
  - name: workdir
    image: { name: app }
    expect: { workdir: /app }
  - name: cmd
    image: { name: app }
    expect: { cmd: [] }
${between}  - name: based on busybox
    image: { name: app, basedOn: busybox }
    expect: { exists: true }
`;

  it('inspect an image once while only read-only checks run, and report in spec order', async () => {
    const engine = new FakeEngine();
    const report = await grade([parseExercise(spec(''), 'demo/exercise.yaml')], {
      engine,
      submissionRoot: submission(),
    });
    expect(report.exercises[0]?.checks.map((check) => check.name)).toEqual([
      'workdir',
      'cmd',
      'based on busybox',
    ]);
    const inspections = engine.calls.filter((call) => call.startsWith('inspect-image'));
    expect(inspections.filter((call) => call.endsWith('-app:latest'))).toHaveLength(1);
    expect(inspections.filter((call) => call === 'inspect-image busybox')).toHaveLength(1);
  });

  it('ask again after a check that may change the image', async () => {
    const engine = new FakeEngine();
    const rebuild = `  - name: rebuilt by its steps
    steps: [{ wait: { duration: 1ms } }]
    image: { name: app }
    expect: { exists: true }
`;
    await grade([parseExercise(spec(rebuild), 'demo/exercise.yaml')], {
      engine,
      submissionRoot: submission(),
    });
    const inspections = engine.calls.filter(
      (call) => call.startsWith('inspect-image') && call.endsWith('-app:latest'),
    );
    expect(inspections.length).toBeGreaterThanOrEqual(3);
  });
});

describe('grade: exercises at once', () => {
  const RUN_ONLY = `version: 1
id: demo/run-only
title: Run only
steps:
  - run: { name: web, image: busybox }
checks:
  - name: runs
    container: { name: web }
    expect: { running: true }
`;

  it("removes one exercise's containers while another exercise builds", async () => {
    // The build of the second exercise waits until the first one's containers are being
    // removed: if that removal took turns with builds, neither would ever go on.
    let runtimeRemoval: () => void = () => {};
    const runtimeRemoved = new Promise<void>((resolve) => {
      runtimeRemoval = resolve;
    });
    class BuildWaitsForRemoval extends FakeEngine {
      override async build(request: BuildRequest): Promise<BuildResult> {
        await runtimeRemoved;
        return super.build(request);
      }
      override async removeResources(filter: ResourceFilter = {}): Promise<CleanupReport> {
        if (filter.scope === `${this.runId}-1` && filter.only === 'runtime') runtimeRemoval();
        return super.removeResources(filter);
      }
    }
    const engine = new BuildWaitsForRemoval();
    const report = await grade(
      [parseExercise(RUN_ONLY, 'demo/run-only.yaml'), parseExercise(SPEC, 'demo/exercise.yaml')],
      { engine, submissionRoot: submission(), concurrency: 2 },
    );
    expect(report.exercises.map((result) => result.status)).toEqual(['pass', 'pass']);
    // Images are still removed, by their own call that takes turns with builds.
    expect(engine.removed).toContainEqual(
      expect.objectContaining({ scope: `${engine.runId}-2`, only: 'images' }),
    );
  });

  it("takes turns between one session's image removal and another session's build", async () => {
    // Two students graded at once (a class regrade): separate sessions, separate engines, but
    // one daemon, where identical unlabelled builds share an image.
    const order: string[] = [];
    let finishBuild: () => void = () => {};
    const buildMayFinish = new Promise<void>((resolve) => {
      finishBuild = resolve;
    });
    let buildStarted: () => void = () => {};
    const building = new Promise<void>((resolve) => {
      buildStarted = resolve;
    });
    class SlowBuild extends FakeEngine {
      override async build(request: BuildRequest): Promise<BuildResult> {
        buildStarted();
        await buildMayFinish;
        order.push('build done');
        return super.build(request);
      }
    }
    class RecordsImageRemoval extends FakeEngine {
      override async removeResources(filter: ResourceFilter = {}): Promise<CleanupReport> {
        if (filter.only !== 'runtime') order.push('other session removes images');
        // Its exercise is over and being cleaned up: only now may the build finish.
        if (filter.scope !== undefined && filter.only !== 'images') finishBuild();
        return super.removeResources(filter);
      }
    }
    const builder = grade([parseExercise(SPEC, 'demo/exercise.yaml')], {
      engine: new SlowBuild(),
      submissionRoot: submission(),
    });
    await building;
    const other = grade([parseExercise(RUN_ONLY, 'demo/run-only.yaml')], {
      engine: new RecordsImageRemoval(),
      submissionRoot: submission(),
    });
    await Promise.all([builder, other]);
    expect(order[0]).toBe('build done');
  });
});
