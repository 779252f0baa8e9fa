// Where the action runs, read from the runner's environment and event file; and its inputs.
import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readInputs } from '../../../src/action/inputs';
import { parseRepository, readContext } from '../../../src/github/context';

const HEAD = 'abcdefabcdefabcdefabcdefabcdefabcdefabcd';

async function eventFile(event: unknown): Promise<string> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'event-')), 'event.json');
  writeFileSync(file, typeof event === 'string' ? event : JSON.stringify(event));
  return file;
}

/** The event of pull request 7, at head commit HEAD. */
const PULL_REQUEST_7 = { pull_request: { number: 7, head: { sha: HEAD } } };

const BASE_ENV = {
  GITHUB_REPOSITORY: 'course/submission',
  GITHUB_API_URL: 'http://127.0.0.1:1234/',
  GITHUB_SERVER_URL: 'https://github.example',
  GITHUB_RUN_ID: '77',
  GITHUB_SHA: 'ffffffffffffffffffffffffffffffffffffffff',
  GITHUB_WORKSPACE: '/ws',
};

/**
 * The context read on a runner with BASE_ENV after an `eventName` event, with `event` in its event
 * file (no file if undefined).
 */
async function contextAfter(eventName: string, event: unknown) {
  return readContext({
    ...BASE_ENV,
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: event === undefined ? undefined : await eventFile(event),
  });
}

describe('readContext', () => {
  it("reads a pull request's number and head commit (not the merge commit)", async () => {
    const context = await contextAfter('pull_request', PULL_REQUEST_7);
    expect(context).toEqual({
      eventName: 'pull_request',
      repository: { owner: 'course', repo: 'submission' },
      sha: BASE_ENV.GITHUB_SHA,
      pullRequest: { number: 7, headSha: HEAD },
      runUrl: 'https://github.example/course/submission/actions/runs/77',
      workspace: '/ws',
      apiUrl: 'http://127.0.0.1:1234',
    });
  });

  it('reads the workflow run a publish job was triggered by', async () => {
    const context = await contextAfter('workflow_run', {
      workflow_run: {
        id: 5,
        head_sha: HEAD,
        head_branch: 'patch-1',
        head_repository: { owner: { login: 'forker' } },
        html_url: 'https://github.example/course/submission/actions/runs/5',
        event: 'pull_request',
      },
    });
    expect(context.workflowRun).toEqual({
      id: 5,
      headSha: HEAD,
      headBranch: 'patch-1',
      headOwner: 'forker',
      htmlUrl: 'https://github.example/course/submission/actions/runs/5',
      event: 'pull_request',
    });
    expect(context.pullRequest).toBeUndefined();
  });

  it.each([
    ['a missing event file', undefined],
    ['an event file that is not JSON', '{nope'],
    ['a pull request without a head SHA', { pull_request: { number: 7, head: {} } }],
    ['a pull request with a bad number', { pull_request: { number: '7', head: { sha: HEAD } } }],
    ['a head SHA that is not one', { pull_request: { number: 7, head: { sha: 'abc123' } } }],
  ])('ignores %s', async (_name, event) => {
    const context = await contextAfter('pull_request', event);
    expect(context.pullRequest).toBeUndefined();
    expect(context.repository).toEqual({ owner: 'course', repo: 'submission' });
  });

  it('only reads a pull request from pull request events', async () => {
    const context = await contextAfter('push', PULL_REQUEST_7);
    expect(context.pullRequest).toBeUndefined();
  });

  it('parses owner/name strictly', () => {
    expect(parseRepository('a/b.c')).toEqual({ owner: 'a', repo: 'b.c' });
    for (const bad of [undefined, '', 'a', 'a/b/c', '../b', 'a/..', 'a b/c']) {
      expect(parseRepository(bad)).toBeUndefined();
    }
  });
});

describe('readInputs', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  function inputs(values: Record<string, string>) {
    for (const [name, value] of Object.entries(values)) process.env[`INPUT_${name.toUpperCase()}`] = value;
    return readInputs({ RUNNER_TEMP: '/tmp/runner' });
  }

  it('has defaults for everything but the exercises', () => {
    expect(inputs({ exercises: 'a\nb, c' })).toEqual({
      mode: 'grade',
      exercises: ['a', 'b', 'c'],
      submission: '.',
      dockerHost: '',
      failIfNotPassed: true,
      reportFile: '/tmp/runner/docker-autograder/report.json',
      comment: 'always',
      commentKey: 'default',
      commentAuthor: '',
      annotations: 'auto',
      checkName: 'Docker autograder',
      artifactPath: '',
      token: '',
    });
  });

  it('needs no exercises but an artifact path to publish', () => {
    expect(inputs({ mode: 'publish', 'artifact-path': 'grade' })).toMatchObject({
      mode: 'publish',
      exercises: [],
      artifactPath: 'grade',
    });
    expect(() => inputs({ mode: 'publish', 'artifact-path': '' })).toThrow(/needs the input "artifact-path"/);
  });

  it.each([
    [{ exercises: 'a', mode: 'both' }, /input "mode" must be one of grade, publish/],
    [{ exercises: 'a', comment: 'sometimes' }, /input "comment" must be one of always, on-failure, off/],
    [
      { exercises: 'a', annotations: 'all' },
      /input "annotations" must be one of auto, commands, check-run, off/,
    ],
    [{ exercises: 'a', 'comment-key': 'a -->' }, /input "comment-key"/],
    [{ exercises: 'a', 'comment-author': 'not a login' }, /input "comment-author" is not a GitHub login/],
    [{ exercises: '' }, /input "exercises" is required in mode "grade"/],
  ])('refuses %j', (values, message) => {
    expect(() => inputs(values)).toThrow(message);
  });

  it('accepts app logins as comment authors', () => {
    expect(inputs({ exercises: 'a', 'comment-author': 'my-grader[bot]' }).commentAuthor).toBe(
      'my-grader[bot]',
    );
  });
});
