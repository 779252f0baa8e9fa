// The image and file checks on the real engine, through grade(): a passing and a failing case
// each, and the failing case's expected vs actual.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExerciseResult } from '../../../src/report/model';
import {
  check,
  docker,
  explain,
  gradeInline,
  leftovers,
  newRunId,
  removeEverything,
  runLabel,
} from '../../support/engine-checks';

const runId = newRunId('imgfile');
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

const SPEC = `version: 1
id: test/image-file
title: image and file
steps:
  - build: { name: app }
  - run: { name: web, image: app, command: [sleep, "600"] }
checks:
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
`;

let result: ExerciseResult;
let log: string[];

beforeAll(async () => {
  await docker(
    'run',
    '--name',
    stopped,
    ...runLabel(runId),
    'busybox:latest',
    'sh',
    '-c',
    'echo written before exit > /tmp/out',
  );
  ({ result, log } = await gradeInline(runId, SPEC, { Dockerfile: DOCKERFILE, 'greeting.txt': 'hello\n' }));
});

afterAll(async () => {
  await removeEverything(runId);
});

describe('image check', () => {
  it('passes on configuration, labels, healthcheck, layers, size and base image', () => {
    expect(check(result, 'image passes'), explain(result, log)).toMatchObject({ status: 'pass' });
  });

  it('fails with the user as actual', () => {
    expect(check(result, 'image fails'), explain(result, log)).toMatchObject({
      status: 'fail',
      message: 'user not as expected',
      expected: 'equals "root"',
      actual: '1000',
    });
  });

  it('says basedOn false for another base image', () => {
    expect(check(result, 'image is not based on debian'), explain(result, log)).toMatchObject({
      status: 'fail',
      expected: 'equals true',
      actual: 'false',
    });
  });

  it('fails when the base image to compare with does not exist', () => {
    expect(check(result, 'image base is missing').message, explain(result, log)).toBe(
      `the base image "${runId}-nosuch:1" does not exist, so "app" cannot be compared with it`,
    );
  });

  it('observes a missing image as exists: false, and nothing else', () => {
    expect(check(result, 'missing image does not exist'), explain(result, log)).toMatchObject({
      status: 'pass',
    });
    expect(check(result, 'missing image has no workdir'), explain(result, log)).toMatchObject({
      status: 'fail',
      message: `workdir not as expected: the image "${runId}-nosuch:1" does not exist`,
      expected: 'equals "/app"',
      actual: '(nothing)',
    });
  });
});

describe('file check', () => {
  it('reads a file of an image: type, mode, owner, size, content', () => {
    expect(check(result, 'file in an image passes'), explain(result, log)).toMatchObject({ status: 'pass' });
  });

  it("follows a symlink for content and mode, and shows the link's target", () => {
    expect(check(result, 'symlink in an image'), explain(result, log)).toMatchObject({ status: 'pass' });
  });

  it('reads a directory and a missing path of a running container', () => {
    expect(check(result, 'directory in a container'), explain(result, log)).toMatchObject({ status: 'pass' });
    expect(check(result, 'missing path'), explain(result, log)).toMatchObject({ status: 'pass' });
  });

  it('fails with the mode as actual', () => {
    expect(check(result, 'file fails'), explain(result, log)).toMatchObject({
      status: 'fail',
      message: 'mode not as expected',
      expected: 'equals "0644"',
      actual: '0640',
    });
  });

  it('reads a stopped container', () => {
    expect(check(result, 'file in a stopped container'), explain(result, log)).toMatchObject({
      status: 'pass',
    });
  });

  it('says which image is missing', () => {
    expect(check(result, 'file in a missing image').message, explain(result, log)).toBe(
      `there is no image "${runId}-nosuch:1"`,
    );
  });

  it('leaves nothing of the run on the engine', async () => {
    expect(await leftovers(runId)).toEqual([]);
  });
});
