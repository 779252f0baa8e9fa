import { describe, expect, it } from 'vitest';
import type { SpecProblem } from '../../../src/shared/errors';
import { parseExercise } from '../../../src/spec/load';
import { specErrorOf } from '../../support/spec-errors';

const VALID = `version: 1
id: images/demo
title: Demo
steps:
  - build: { name: app }
  - run:
      name: web
      image: app
      ports: [8080]
checks:
  - name: answers
    http: { container: web, port: 8080, path: /status }
    expect: { status: 200, body: OK }
`;

function problemsOf(text: string): SpecProblem[] {
  return specErrorOf(text).problems;
}

/** Line and column (1-based) of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string): { line: number; column: number } {
  const offset = text.indexOf(needle);
  if (offset < 0) throw new Error(`${needle} not in text`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

describe('parseExercise', () => {
  it('accepts a valid spec and keeps its values', () => {
    const exercise = parseExercise(VALID, 'exercise.yaml');
    expect(exercise.spec.id).toBe('images/demo');
    expect(exercise.spec.checks[0]?.http?.port).toBe(8080);
    expect(exercise.locate(['checks', 0])).toMatchObject(positionOf(VALID, 'name: answers'));
  });

  // Each row: a broken spec, the text the message must contain, and where it must point.
  const cases: Array<{ title: string; text: string; message: RegExp; at: string }> = [
    {
      title: 'a type error names the node',
      text: VALID.replace('ports: [8080]', 'ports: ["eighty"]'),
      message: /steps\[1\]\.run\.ports\[0\] must be integer/,
      at: '"eighty"',
    },
    {
      title: 'an unknown key points at the key and lists the allowed ones',
      text: VALID.replace('    image: app', '    imag: app\n      image: app').replace(
        '      name: web\n    imag',
        '      name: web\n      imag',
      ),
      message: /unknown key "imag" .*allowed: name, image/,
      at: 'imag:',
    },
    {
      title: 'a missing required key names it',
      text: VALID.replace('title: Demo\n', ''),
      message: /the exercise is missing "title"/,
      at: 'version',
    },
    {
      title: 'a wrong version',
      text: VALID.replace('version: 1', 'version: 2'),
      message: /version must be 1/,
      at: '2',
    },
    {
      title: 'a step with two kinds',
      text: VALID.replace(
        '  - build: { name: app }',
        '  - build: { name: app }\n    run: { name: x, image: y }',
      ),
      message: /steps\[0\] must have exactly one key naming its kind/,
      at: 'build:',
    },
    {
      title: 'a bad duration',
      text: VALID.replace('title: Demo', 'title: Demo\ntimeout: 5 minutes'),
      message: /timeout must be a duration/,
      at: '5 minutes',
    },
    {
      title: 'a misspelt comparator',
      text: VALID.replace('body: OK', 'body: { contain: OK }'),
      message:
        /unknown key "contain" in checks\[0\]\.expect\.body \(allowed: equals, contains, includes, matches/,
      at: 'contain:',
    },
    {
      title: 'an expect key the check kind does not have',
      text: VALID.replace('status: 200', 'stdout: x'),
      message: /unknown key "stdout" in checks\[0\]\.expect/,
      at: 'stdout',
    },
    {
      title: 'a check referring to a container no step starts',
      text: VALID.replace('container: web', 'container: db'),
      message: /no run step is named "db" \(run steps: web\)/,
      at: 'db',
    },
    {
      title: 'an HTTP check on a port the step does not publish',
      text: VALID.replace('port: 8080, path', 'port: 9090, path'),
      message: /port 9090 is not published by run step "web" \(ports: 8080\)/,
      at: '9090',
    },
    {
      title: 'a check without a kind',
      text: VALID.replace('    http: { container: web, port: 8080, path: /status }\n', ''),
      message: /check "answers" needs one of: exec, http, logs, image, file, container/,
      at: 'name: answers',
    },
    {
      title: 'duplicate step names',
      text: VALID.replace('      name: web', '      name: app'),
      message: /step name "app" is already used by steps\[0\]/,
      at: 'name: app\n',
    },
    {
      title: 'a build context that leaves the submission',
      text: VALID.replace('build: { name: app }', 'build: { name: app, context: ../.. }'),
      message: /path "\.\.\/\.\." leaves the submission folder/,
      at: '../..',
    },
    {
      title: 'an invalid regular expression',
      text: VALID.replace('body: OK', 'body: { matches: "(" }'),
      message: /invalid regular expression/,
      at: '"("',
    },
    {
      title: 'an invalid regular expression in a step matcher',
      text: VALID.replace(
        '    http: { container: web, port: 8080, path: /status }\n    expect: { status: 200, body: OK }',
        '    dockerfile: {}\n    expect: { sequence: { stage: 0, steps: [{ copies: app.py }, { matches: "[" }] } }',
      ),
      message: /invalid regular expression/,
      at: '"["',
    },
    {
      title: 'a step matcher with a key it does not know',
      text: VALID.replace(
        '    http: { container: web, port: 8080, path: /status }\n    expect: { status: 200, body: OK }',
        '    build-cache: { build: app, change: app.py }\n    expect: { fromCache: [{ installs: pip, copy: app.py }] }',
      ),
      message: /unknown key "copy"/,
      at: 'copy',
    },
    {
      title: 'a timeout over the maximum',
      text: VALID.replace('title: Demo', 'title: Demo\ntimeout: 2h'),
      message: /timeout 2h is over the maximum of 3600s/,
      at: '2h',
    },
    {
      title: 'a bind mount from outside the submission',
      text: VALID.replace('      ports: [8080]', '      ports: [8080]\n      volumes: ["/etc:/host-etc"]'),
      message: /bind mount source "\/etc" must be a folder of the submission/,
      at: '"/etc:/host-etc"',
    },
    {
      title: 'a bind mount that climbs out of the submission',
      text: VALID.replace('      ports: [8080]', '      ports: [8080]\n      volumes: ["../secrets:/s:ro"]'),
      message: /path "\.\.\/secrets" leaves the submission folder/,
      at: '"../secrets:/s:ro"',
    },
    {
      title: 'the host network',
      text: VALID.replace('      ports: [8080]', '      ports: [8080]\n      networks: [host]'),
      message: /the host network is not allowed/,
      at: 'host]',
    },
    {
      title: 'a network no step creates',
      text: VALID.replace('      ports: [8080]', '      ports: [8080]\n      networks: [backend]'),
      message: /no network step is named "backend"/,
      at: 'backend]',
    },
    {
      title: 'a file check naming both a container and an image',
      text: VALID.replace(
        '    http: { container: web, port: 8080, path: /status }\n    expect: { status: 200, body: OK }',
        '    file: { container: web, image: app, path: /app/app.py }\n    expect: { exists: true }',
      ),
      message: /a file check needs exactly one of container, image/,
      at: '{ container: web, image',
    },
    {
      title: 'a build-cache check on a build that does not exist',
      text: VALID.replace(
        '    http: { container: web, port: 8080, path: /status }\n    expect: { status: 200, body: OK }',
        '    build-cache: { build: api, change: app.py }\n    expect: { cached: [] }',
      ),
      message: /no build step is named "api" \(build steps: app\)/,
      at: 'api,',
    },
    {
      title: 'a wait step with nothing to wait for',
      text: VALID.replace('checks:', '  - wait: { container: web }\nchecks:'),
      message: /a wait step needs a duration, or a container and a condition/,
      at: '{ container: web }',
    },
    {
      title: 'a wait on a port the run step does not publish',
      text: VALID.replace('ports: [8080]', 'ports: [8080]\n      wait: { port: 9090 }'),
      message: /^wait\.port 9090 is not among the step's ports \(8080\)$/,
      at: '9090',
    },
    {
      title: 'an HTTP wait on a port the container does not publish',
      text: VALID.replace('checks:', '  - wait: { container: web, http: { port: 9090 } }\nchecks:'),
      message: /^wait\.http\.port 9090 is not among the step's ports \(8080\)$/,
      at: '9090',
    },
    {
      title: 'a wait for a log line that is not a regular expression',
      text: VALID.replace('ports: [8080]', 'ports: [8080]\n      wait: { log: { matches: "(" } }'),
      message: /^invalid regular expression/,
      at: '"("',
    },
    {
      title: 'a reach check expecting reachable without a port',
      text: VALID.replace(
        '    http: { container: web, port: 8080, path: /status }\n    expect: { status: 200, body: OK }',
        '    reach: { from: web, to: db }\n    expect: { reachable: true }',
      ),
      message: /^reachable needs a port in the reach target/,
      at: 'true }',
    },
    {
      title: 'expect on a protected file check',
      text: VALID.replace(
        '    http: { container: web, port: 8080, path: /status }\n    expect: { status: 200, body: OK }',
        `    protected: { file: app.py, sha256: ${'a'.repeat(64)} }\n    expect: { sha256: x }`,
      ),
      message: /must NOT be valid|expect/,
      at: 'name: answers',
    },
    {
      title: 'duplicate YAML keys',
      text: VALID.replace('title: Demo', 'title: Demo\ntitle: Again'),
      message: /Map keys must be unique/,
      at: 'title: Again',
    },
    {
      title: 'malformed YAML',
      text: VALID.replace('expect: { status: 200, body: OK }', 'expect: status: 200'),
      message: /Nested mappings are not allowed/,
      at: 'status: 200',
    },
  ];

  it.each(cases)('$title', ({ text, message, at }) => {
    const problems = problemsOf(text);
    const match = problems.find((problem) => message.test(problem.message));
    expect(match, problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('\n')).toBeDefined();
    const expected = positionOf(text, at);
    expect(match?.line).toBe(expected.line);
    if (!at.includes('\n')) expect(match?.column).toBe(expected.column);
    expect(match?.file).toBe('exercise.yaml');
  });

  it('refuses an alias bomb without expanding it', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
    ].join('\n');
    const problems = problemsOf(bomb);
    expect(problems[0]?.message).toMatch(/alias/i);
  });
});
