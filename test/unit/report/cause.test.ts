// What every renderer shows of a failure's cause: the first error line above the log tail, no
// hint for a check that failed only because the setup did, and only the student's own locations.
import { describe, expect, it } from 'vitest';
import { annotationsOf } from '../../../src/report/annotations';
import { renderJson } from '../../../src/report/json';
import { renderJunit } from '../../../src/report/junit';
import { renderMarkdown } from '../../../src/report/markdown';
import type { GradeReport } from '../../../src/report/model';
import { renderText } from '../../../src/report/text';
import { attributeToSetup, dependsOnFailedSetup, separateLocations } from '../../../src/run/attribution';
import type { CheckSpec, StepSpec } from '../../../src/spec/types';
import { singleExerciseReport } from '../../support/report-fixtures';

const SPEC_FILE = 'exercises/containers/restart/exercise.yaml';

function report(): GradeReport {
  return singleExerciseReport({
    id: 'containers/restart',
    title: 'Restart policy',
    specFile: SPEC_FILE,
    durationMs: 10,
    setupError: 'the image "web" did not build: The command returned a non-zero code: 100',
    firstError: 'E: Unable to locate package flask',
    setupLog: 'Step 2/3 : RUN apt-get install -y flask\nRemoving intermediate container 1',
    checks: [
      {
        name: 'restarts unless stopped',
        status: 'fail',
        points: 0,
        maxPoints: 2,
        message:
          'not checked: the setup step "build web" failed before this check could look (see the setup error)',
        causedBySetup: true,
        specLocation: { file: SPEC_FILE, line: 12, column: 5 },
      },
      {
        name: 'CMD in exec form',
        status: 'fail',
        points: 0,
        maxPoints: 1,
        message: 'cmdForm not as expected',
        expected: 'equals "exec"',
        actual: 'shell',
        hint: 'Write CMD as a JSON list',
        location: { file: 'submission/Dockerfile', line: 4, column: 1 },
        specLocation: { file: SPEC_FILE, line: 20, column: 5 },
      },
      {
        name: 'curl answers',
        status: 'fail',
        points: 0,
        maxPoints: 1,
        message: 'the check\'s step "exec web" failed',
        firstError: 'curl: (7) Failed to connect to web port 80',
        hint: 'Publish the port',
        specLocation: { file: SPEC_FILE, line: 30, column: 5 },
      },
    ],
  });
}

describe('the first error line', () => {
  it('comes before the log tail in the text report, for the setup and for a check', () => {
    const text = renderText(report());
    const first = text.indexOf('first error: E: Unable to locate package flask');
    expect(first).toBeGreaterThan(text.indexOf('setup error:'));
    expect(first).toBeLessThan(text.indexOf('log (last'));
    expect(text).toContain('first error: curl: (7) Failed to connect to web port 80');
  });

  it('is in the markdown report, the JUnit report and the JSON report', () => {
    const markdown = renderMarkdown(report());
    expect(markdown).toContain('**First error:** E&#58; Unable to locate package flask');
    expect(markdown.indexOf('**First error:**')).toBeLessThan(markdown.indexOf('log excerpt'));
    expect(renderJunit(report())).toContain('first error: E: Unable to locate package flask');
    const json = JSON.parse(renderJson(report()));
    expect(json.exercises[0].firstError).toBe('E: Unable to locate package flask');
    expect(json.exercises[0].checks[2].firstError).toBe('curl: (7) Failed to connect to web port 80');
  });
});

describe('locations', () => {
  it("show only the student's own file to students; the spec stays in the JSON", () => {
    const text = renderText(report());
    expect(text).toContain('at:       submission/Dockerfile:4:1');
    expect(text).not.toContain(SPEC_FILE);
    expect(renderMarkdown(report())).not.toMatch(/exercise&#46;yaml/);
    const annotations = annotationsOf(report(), { workspace: process.cwd(), cwd: process.cwd() });
    expect(annotations.map((annotation) => annotation.file)).toEqual([
      undefined,
      'submission/Dockerfile',
      undefined,
    ]);
    const json = JSON.parse(renderJson(report()));
    expect(json.exercises[0].checks[1].specLocation).toEqual({ file: SPEC_FILE, line: 20, column: 5 });
  });

  it('are told apart when a check returns the spec location it was given', () => {
    const spec = { file: SPEC_FILE, line: 3, column: 5 };
    const base = { name: 'x', status: 'fail' as const, points: 0, maxPoints: 1, message: 'm' };
    expect(separateLocations({ ...base, location: spec }, spec, SPEC_FILE)).toEqual({
      ...base,
      specLocation: spec,
    });
    const own = { file: 'submission/Dockerfile', line: 2, column: 1 };
    expect(separateLocations({ ...base, location: own }, spec, SPEC_FILE)).toEqual({
      ...base,
      location: own,
      specLocation: spec,
    });
  });
});

describe('a check that failed only because the setup did', () => {
  it('shows no hint, expected or actual in any student-facing renderer', () => {
    const text = renderText(report());
    const section = text.slice(text.indexOf('restarts unless stopped'), text.indexOf('CMD in exec form'));
    expect(section).toContain('not checked: the setup step');
    expect(section).not.toMatch(/hint:|expected:|actual:/);
    expect(annotationsOf(report(), { workspace: '/', cwd: '/' })[0]?.message).not.toMatch(/Hint/);
  });

  it('keeps its points and status: only the explanation changes', () => {
    const result = attributeToSetup(
      {
        name: 'x',
        status: 'fail',
        points: 0.5,
        maxPoints: 1,
        message: 'restartPolicy not as expected',
        expected: 'equals "unless-stopped"',
        actual: '(nothing)',
        hint: 'Add --restart unless-stopped',
      },
      { stepIndex: 0, stepDescription: 'script start.sh' },
    );
    expect(result).toEqual({
      name: 'x',
      status: 'fail',
      points: 0.5,
      maxPoints: 1,
      message:
        'not checked: the setup step "script start.sh" failed before this check could look (see the setup error)',
      causedBySetup: true,
    });
  });
});

describe('dependsOnFailedSetup', () => {
  const steps: StepSpec[] = [
    { build: { name: 'app' } },
    { network: { name: 'backend' } },
    { run: { name: 'db', image: 'redis', networks: ['backend'], volumes: ['data:/data'] } },
    { run: { name: 'web', image: 'app', networks: ['backend'] } },
  ];
  const check = (kind: Partial<CheckSpec>): CheckSpec => ({ name: 'c', ...kind });

  it.each([
    ['the image of a build that finished', check({ image: { name: 'app' } }), 2, false],
    ['a container the failed step starts', check({ container: { name: 'db' } }), 2, true],
    ['a container a later step starts', check({ exec: { container: 'web', command: ['true'] } }), 2, true],
    ['a network a failed run step joins', check({ network: { name: 'backend' } }), 2, true],
    ['a volume a failed run step mounts', check({ volume: { name: 'data' } }), 2, true],
    ['the Dockerfile', check({ dockerfile: {} }), 0, false],
    ['a base image nobody builds', check({ image: { name: 'redis' } }), 2, false],
  ])('%s', (_name, spec, stepIndex, expected) => {
    expect(dependsOnFailedSetup(spec, steps, { stepIndex })).toBe(expected);
  });

  it('takes every check that looks at the engine when a script or compose step failed', () => {
    const withScript: StepSpec[] = [{ build: { name: 'app' } }, { script: { file: 'start.sh' } }];
    expect(dependsOnFailedSetup(check({ image: { name: 'app' } }), withScript, { stepIndex: 1 })).toBe(true);
    expect(dependsOnFailedSetup(check({ dockerfile: {} }), withScript, { stepIndex: 1 })).toBe(false);
  });

  it('takes every check when the setup failed before any step (no submission folder)', () => {
    expect(dependsOnFailedSetup(check({ dockerfile: {} }), steps, {})).toBe(true);
  });
});
