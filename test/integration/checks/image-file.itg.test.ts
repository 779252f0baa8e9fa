// The image and file checks on the real engine, through grade(): a passing and a failing case
// each, and the failing case's expected vs actual.
import { describe } from 'vitest';
import { failed, failedOn, itFindsChecks, passed } from '../../support/check-tables';
import { exerciseYaml, gradedOnce, itLeavesNothingOfTheRun, uniqueRunId } from '../../support/inline-grading';

const runId = uniqueRunId('checksimgfile');
const stopped = `${runId}-stopped`;

const DOCKERFILE = `FROM busybox:latest
LABEL maintainer="student@example.com" course=docker
HEALTHCHECK CMD true
WORKDIR /app
COPY greeting.txt /app/greeting.txt
RUN ln -s greeting.txt /app/link && chmod 0640 /app/greeting.txt && chown 1000:1000 /app/greeting.txt
EXPOSE 8080
USER 1000
CMD ["cat", "/app/greeting.txt"]
`;

const SPEC = exerciseYaml('test/image-file', {
  steps: `
  - build: { name: app }
  - run: { name: web, image: app, command: [sleep, "600"] }
`,
  checks: `
  - name: image passes
    image: { name: app, basedOn: "busybox:latest" }
    expect:
      exists: true
      basedOn: true
      user: "1000"
      workdir: /app
      cmd: [cat, /app/greeting.txt]
      exposedPorts: [8080/tcp]
      labels: { maintainer: { contains: "@" }, course: docker }
      healthcheck: [CMD-SHELL, "true"]
      layers: 4
      size: { matches: "^[1-9][0-9]{5,}$" }
  - name: image fails
    image: { name: app }
    expect: { user: root }
  - name: image is not based on debian
    image: { name: app, basedOn: "debian:bookworm-slim" }
    expect: { basedOn: true }
  - name: image base is missing
    image: { name: app, basedOn: "${runId}-nosuch:1" }
    expect: { basedOn: true }
  - name: missing image does not exist
    image: { name: "${runId}-nosuch:1" }
    expect: { exists: false }
  - name: missing image has no workdir
    image: { name: "${runId}-nosuch:1" }
    expect: { workdir: /app }
  - name: file in an image passes
    file: { image: app, path: /app/greeting.txt }
    expect: { exists: true, type: file, mode: "0640", uid: 1000, gid: 1000, size: 6, content: hello }
  - name: symlink in an image
    file: { image: app, path: /app/link }
    expect: { exists: true, type: symlink, target: greeting.txt, content: hello, mode: "0640" }
  - name: directory in a container
    file: { container: web, path: /app }
    expect: { type: directory, content: { not: { matches: "." } } }
  - name: missing path
    file: { container: web, path: /app/nope }
    expect: { exists: false }
  - name: file fails
    file: { container: web, path: /app/greeting.txt }
    expect: { mode: "0644" }
  - name: file in a stopped container
    file: { container: ${stopped}, path: /tmp/out }
    expect: { content: written before exit }
  - name: file in a missing image
    file: { image: "${runId}-nosuch:1", path: /etc/hostname }
    expect: { exists: true }
`,
});

const graded = gradedOnce(runId, async ({ stoppedContainer }) => {
  await stoppedContainer(stopped, 'echo written before exit > /tmp/out');
  return { yaml: SPEC, files: { Dockerfile: DOCKERFILE, 'greeting.txt': 'hello\n' } };
});

describe('image check', () => {
  itFindsChecks(graded, [
    ['passes on configuration, labels, healthcheck, layers, size and base image', { 'image passes': passed }],
    ['fails with the user as actual', { 'image fails': failedOn('user', 'equals "root"', '1000') }],
    [
      'says basedOn false for another base image',
      { 'image is not based on debian': { status: 'fail', expected: 'equals true', actual: 'false' } },
    ],
    [
      'fails when the base image to compare with does not exist',
      {
        'image base is missing': {
          message: `the base image "${runId}-nosuch:1" does not exist, so "app" cannot be compared with it`,
        },
      },
    ],
    [
      'observes a missing image as exists: false, and nothing else',
      {
        'missing image does not exist': passed,
        'missing image has no workdir': failed(
          `workdir not as expected: the image "${runId}-nosuch:1" does not exist`,
          'equals "/app"',
          '(nothing)',
        ),
      },
    ],
  ]);
});

describe('file check', () => {
  itFindsChecks(graded, [
    ['reads a file of an image: type, mode, owner, size, content', { 'file in an image passes': passed }],
    [
      "follows a symlink for content and mode, and shows the link's target",
      { 'symlink in an image': passed },
    ],
    [
      'reads a directory and a missing path of a running container',
      { 'directory in a container': passed, 'missing path': passed },
    ],
    ['fails with the mode as actual', { 'file fails': failedOn('mode', 'equals "0644"', '0640') }],
    ['reads a stopped container', { 'file in a stopped container': passed }],
    [
      'says which image is missing',
      { 'file in a missing image': { message: `there is no image "${runId}-nosuch:1"` } },
    ],
  ]);
  itLeavesNothingOfTheRun(runId);
});
