// The GitHub client functions against the local fake of GitHub's REST API, which validates every
// request against GitHub's OpenAPI description (test/integration/fake-github).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publishCheckRun } from '../../../src/github/check-run';
import { createClient, httpStatus } from '../../../src/github/client';
import { findStickyComment, writeStickyComment } from '../../../src/github/comment';
import { commentAuthor } from '../../../src/github/identity';
import { pullRequestsForCommit } from '../../../src/github/pull-request';
import type { Annotation } from '../../../src/report/annotations';
import { FakeGitHub, GITHUB_ACTIONS_BOT, INSTRUCTOR, STUDENT } from '../../support/fake-github/server';

const REPO = { owner: 'course', repo: 'submission' };
const SHA = '1234567890123456789012345678901234567890';
const MARKER = '<!-- docker-autograder:sticky key=default -->';

let github: FakeGitHub;

beforeEach(async () => {
  github = await FakeGitHub.start('course', 'submission');
  github.tokens.set('workflow', { user: GITHUB_ACTIONS_BOT, installation: true, canWrite: true });
  github.tokens.set('pat', { user: INSTRUCTOR, installation: false, canWrite: true });
  github.tokens.set('readonly', { user: GITHUB_ACTIONS_BOT, installation: true, canWrite: false });
});

afterEach(async () => {
  await github.close();
  expect(github.violations).toEqual([]);
});

function client(token = 'workflow') {
  return createClient(token, github.url);
}

describe('the fake GitHub', () => {
  it('answers a body that breaks the OpenAPI description with 422 and records the violation', async () => {
    const response = await fetch(`${github.url}/repos/course/submission/check-runs`, {
      method: 'POST',
      headers: { authorization: 'token workflow', 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'x',
        head_sha: SHA,
        output: {
          title: 't',
          summary: 's',
          annotations: Array.from({ length: 51 }, () => ({
            path: 'a',
            start_line: 1,
            end_line: 1,
            annotation_level: 'error',
            message: 'm',
          })),
        },
      }),
    });
    expect(response.status).toBe(422);
    expect(github.violations.join('\n')).toMatch(/must NOT have more than 50 items/);
    expect(github.violations.join('\n')).toMatch(/must be equal to one of the allowed values/);
    github.violations.length = 0;
  });

  it('flags unknown endpoints and query parameters', async () => {
    await fetch(`${github.url}/repos/course/submission/issues/7/comments?sort=up`, {
      headers: { authorization: 'token workflow' },
    });
    await fetch(`${github.url}/repos/course/submission/nothing-here`, {
      headers: { authorization: 'token workflow' },
    });
    expect(github.violations).toEqual([
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments has no query parameter "sort"',
      'no such GitHub endpoint: GET /repos/course/submission/nothing-here',
    ]);
    github.violations.length = 0;
  });
});

describe('commentAuthor', () => {
  it('is the input when given, the token user when it can tell, else github-actions[bot]', async () => {
    expect(await commentAuthor(await client(), 'my-app[bot]')).toEqual({
      login: 'my-app[bot]',
      source: 'input',
    });
    expect(await commentAuthor(await client('pat'), '')).toEqual({ login: 'instructor', source: 'token' });
    expect(await commentAuthor(await client('workflow'), '')).toEqual({
      login: 'github-actions[bot]',
      source: 'default',
    });
    expect(github.violations).toEqual([]);
  });
});

describe('the sticky comment', () => {
  it('is found on a later page, by marker and author only', async () => {
    for (let i = 0; i < 130; i += 1)
      github.addComment(7, STUDENT, i === 5 ? `${MARKER}\ncopied` : `comment ${i}`);
    github.addComment(7, GITHUB_ACTIONS_BOT, '<!-- docker-autograder:sticky key=other -->\nanother grader');
    const ours = github.addComment(7, GITHUB_ACTIONS_BOT, `${MARKER}\nours`);
    github.addComment(8, GITHUB_ACTIONS_BOT, `${MARKER}\non another pull request`);

    const found = await findStickyComment(await client(), REPO, 7, 'default', 'GitHub-Actions[bot]');
    expect(found).toMatchObject({ id: ours.id, body: `${MARKER}\nours` });
    const pages = github.requests.filter((request) => request.path.endsWith('/issues/7/comments'));
    expect(pages.map((request) => request.query.page ?? '1')).toEqual(['1', '2']);
    expect(await findStickyComment(await client(), REPO, 7, 'default', 'instructor')).toBeUndefined();
    expect(github.violations).toEqual([]);
  });

  it('is created, then updated in place', async () => {
    const created = await writeStickyComment(await client(), REPO, 7, undefined, `${MARKER}\nfirst`);
    expect(created.action).toBe('created');
    const existing = { id: created.id, body: `${MARKER}\nfirst` };
    const updated = await writeStickyComment(await client(), REPO, 7, existing, `${MARKER}\nsecond`);
    expect(updated).toMatchObject({ action: 'updated', id: created.id });
    expect(github.comments.map((comment) => comment.body)).toEqual([`${MARKER}\nsecond`]);
    expect(github.violations).toEqual([]);
  });

  it('reports a read-only token as an HTTP 403', async () => {
    const error = await writeStickyComment(await client('readonly'), REPO, 7, undefined, 'x').catch(
      (caught: unknown) => caught,
    );
    expect(httpStatus(error)).toBe(403);
    expect(github.comments).toEqual([]);
  });
});

describe('pullRequestsForCommit', () => {
  it('finds open pull requests whose head is the commit', async () => {
    github.pulls.push(
      { number: 9, state: 'open', headSha: SHA, headRef: 'b', headOwner: 'course' },
      { number: 3, state: 'closed', headSha: SHA, headRef: 'a', headOwner: 'course' },
      { number: 4, state: 'open', headSha: SHA.replace('1', '9'), headRef: 'c', headOwner: 'course' },
      { number: 2, state: 'open', headSha: SHA, headRef: 'd', headOwner: 'course' },
    );
    expect(await pullRequestsForCommit(await client(), REPO, SHA)).toEqual([2, 9]);
    expect(github.violations).toEqual([]);
  });

  it("falls back to the head branch for a fork's pull request", async () => {
    github.commitPullsMissForks = true;
    github.pulls.push({ number: 5, state: 'open', headSha: SHA, headRef: 'main', headOwner: 'forker' });
    expect(await pullRequestsForCommit(await client(), REPO, SHA)).toEqual([]);
    expect(
      await pullRequestsForCommit(await client(), REPO, SHA, { owner: 'forker', branch: 'main' }),
    ).toEqual([5]);
    expect(github.violations).toEqual([]);
  });
});

describe('publishCheckRun', () => {
  const annotation = (line: number, file?: string): Annotation => ({
    level: line % 2 === 0 ? 'error' : 'warning',
    file,
    line,
    column: 3,
    title: `t${line}`,
    message: `m${line}`,
  });
  const request = (annotations: Annotation[]) => ({
    name: 'Docker autograder',
    headSha: SHA,
    conclusion: 'failure' as const,
    title: '1/2 points',
    summary: '## summary',
    annotations,
  });

  it('sends the first 50 annotations with the check run and the rest in updates of 50', async () => {
    const annotations = Array.from({ length: 101 }, (_, i) => annotation(i + 1, 'Dockerfile'));
    const published = await publishCheckRun(await client(), REPO, request([...annotations, annotation(1)]));
    expect(published).toMatchObject({ annotated: 101, skipped: 1, requests: 3 });
    const sent = github.requests.map((r) => {
      const body = r.body as { output: { annotations: unknown[] } };
      return `${r.method} ${body.output.annotations.length}`;
    });
    expect(sent).toEqual(['POST 50', 'PATCH 50', 'PATCH 1']);
    expect(github.checkRuns[0]?.annotations).toHaveLength(101);
    expect(github.checkRuns[0]?.annotations[1]).toEqual({
      path: 'Dockerfile',
      start_line: 2,
      end_line: 2,
      start_column: 3,
      end_column: 3,
      annotation_level: 'failure',
      message: 'm2',
      title: 't2',
    });
    expect(github.violations).toEqual([]);
  });

  it('creates a check run without annotations in one request', async () => {
    expect(await publishCheckRun(await client(), REPO, request([]))).toMatchObject({
      annotated: 0,
      requests: 1,
    });
    expect(github.violations).toEqual([]);
  });
});

describe('createClient', () => {
  it('gives every request a deadline', async () => {
    const silent = createServer(() => {
      // Never answers.
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const started = Date.now();
    const error = await (await createClient('x', `http://127.0.0.1:${port}`, 300)).rest.users
      .getAuthenticated()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(Date.now() - started).toBeLessThan(5_000);
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });
});
