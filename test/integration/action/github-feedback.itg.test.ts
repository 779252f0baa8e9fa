// The bundled action against a local server speaking GitHub's REST API (fake-github/), started as
// the runner starts it. Every request body and query is validated against GitHub's OpenAPI
// description; any violation fails the test (afterEach).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ArtifactMetadata, writeArtifact } from '../../../src/github/artifact';
import { readSnapshot } from '../../../src/report/comment';
import { type CheckResult, exerciseResult, type GradeReport, gradeReport } from '../../../src/report/model';
import { FakeGitHub, GITHUB_ACTIONS_BOT, STUDENT, TOKEN_KINDS } from '../../support/fake-github/server';
import {
  ACTION,
  labelled,
  liveCommands,
  parseCommand,
  parseRunnerFile,
  type RunnerFiles,
  runNode,
  runnerFiles,
  tempDir,
} from '../../support/integration';

const HEAD = '1111111111111111111111111111111111111111';
const NEWER = '2222222222222222222222222222222222222222';
const OTHER = '3333333333333333333333333333333333333333';
const MARKER = '<!-- docker-autograder:sticky key=default -->';
const COMMENTS_PATH = '/repos/course/submission/issues/7/comments';

let github: FakeGitHub;
/** The grading steps a test ran, to check that each one's run left nothing on the engine. */
let steps: RunnerFiles[] = [];

beforeEach(async () => {
  github = await FakeGitHub.start('course', 'submission', {
    ghs_workflow: TOKEN_KINDS.workflow,
    ghs_fork: TOKEN_KINDS.forkPullRequest,
    ghp_instructor: TOKEN_KINDS.personal,
  });
});

afterEach(async () => {
  await github.close();
  expect(github.violations).toEqual([]);
  // Only this file's runs: other suites may share the engine.
  for (const step of steps) {
    const runId = parseRunnerFile(step.env.GITHUB_STATE ?? '')['run-id'];
    if (runId !== undefined) expect(await labelled(`org.docker-autograder.run=${runId}`)).toEqual([]);
  }
  steps = [];
});

/** A tiny exercise on busybox: "says hello" passes when `expected` is hello. */
function writeExercise(dir: string, expected: 'hello' | 'bye'): void {
  writeFileSync(
    path.join(dir, 'exercise.yaml'),
    [
      'version: 1',
      'id: hello/echo',
      'title: Echo',
      'steps:',
      '  - run:',
      '      name: box',
      '      image: busybox',
      '      command: "echo ready; exec sleep 600"',
      '      wait: { log: ready }',
      'checks:',
      '  - name: says hello',
      '    exec: { container: box, command: "echo hello" }',
      `    expect: { stdout: ${expected} }`,
      '    hint: Say hello, @org/team',
      '  - name: busybox works',
      '    exec: { container: box, command: [busybox, "true"] }',
      '    expect: { exitCode: 0 }',
    ].join('\n'),
  );
}

function exerciseDir(expected: 'hello' | 'bye'): string {
  const dir = tempDir('feedback');
  mkdirSync(path.join(dir, 'submission'));
  writeExercise(dir, expected);
  return dir;
}

function githubEnv(workspace: string): NodeJS.ProcessEnv {
  return {
    GITHUB_REPOSITORY: 'course/submission',
    GITHUB_API_URL: github.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
    GITHUB_SHA: 'ffffffffffffffffffffffffffffffffffffffff',
    GITHUB_WORKSPACE: workspace,
  };
}

/** A step of a `pull_request` workflow for pull request #7 at HEAD. */
function pullRequestStep(dir: string, inputs: Record<string, string>): RunnerFiles {
  const step = runnerFiles(
    { exercises: dir, submission: path.join(dir, 'submission'), ...inputs },
    {
      event: { number: 7, pull_request: { number: 7, head: { sha: HEAD } } },
      env: githubEnv(dir),
    },
  );
  steps.push(step);
  return step;
}

function botComments(): Array<{ id: number; body: string }> {
  return github.comments.filter((comment) => comment.user.login === GITHUB_ACTIONS_BOT.login);
}

function writesOf(): string[] {
  return github.writes().map((request) => `${request.method} ${request.path} ${request.status}`);
}

describe('the sticky pull request comment', () => {
  it('is created by the first run, updated by the next, and never confused with a copied marker', async () => {
    // A student pasted the marker and fake grade data into a comment of their own.
    const fakeData = Buffer.from(JSON.stringify({ score: 100, maxScore: 100, checks: {} })).toString(
      'base64',
    );
    const copied = github.addComment(
      7,
      STUDENT,
      `${MARKER}\nI copied the marker\n<!-- docker-autograder:grade v1 ${fakeData} -->`,
    );
    const dir = exerciseDir('bye');

    const first = pullRequestStep(dir, { 'github-token': 'ghs_workflow' });
    const run1 = await runNode(ACTION, [], first.env);
    expect(run1.code, run1.stdout).toBe(1);
    expect(writesOf()).toEqual([`POST ${COMMENTS_PATH} 201`]);
    // GITHUB_TOKEN cannot look itself up: the author falls back to github-actions[bot].
    expect(github.requests.find((request) => request.path === '/user')?.status).toBe(403);
    expect(run1.stdout).toContain('sticky comment author: github-actions[bot] (default)');
    const [comment] = botComments();
    expect(comment?.body.startsWith(`${MARKER}\n## ❌ Docker autograder: 1/2 points`)).toBe(true);
    expect(comment?.body).toContain('[workflow run](https://github.com/course/submission/actions/runs/4242)');
    expect(comment?.body).not.toContain('Since the previous grade');
    expect(comment?.body).toContain('Say hello, @&#8203;org/team');
    expect(readSnapshot(comment?.body ?? '')).toEqual({
      score: 1,
      maxScore: 2,
      sha: HEAD,
      checks: { 'hello/echo': { 'says hello': 'fail', 'busybox works': 'pass' } },
    });
    expect(copied.body).toContain('I copied the marker');
    // The job summary is the same report, by the same renderer.
    const summary1 = readFileSync(first.env.GITHUB_STEP_SUMMARY ?? '', 'utf8');
    expect(summary1).toContain('## ❌ Docker autograder: 1/2 points');
    expect(summary1).toContain('| ❌ | says hello | 0/1 |');

    writeExercise(dir, 'hello');
    const second = pullRequestStep(dir, { 'github-token': 'ghs_workflow' });
    const run2 = await runNode(ACTION, [], second.env);
    expect(run2.code, run2.stdout).toBe(0);
    expect(writesOf()).toEqual([
      `POST ${COMMENTS_PATH} 201`,
      `PATCH /repos/course/submission/issues/comments/${comment?.id} 200`,
    ]);
    expect(botComments()).toHaveLength(1);
    expect(github.comments).toHaveLength(2);
    const updated = botComments()[0]?.body ?? '';
    expect(updated).toContain('## ✅ Docker autograder: 2/2 points');
    expect(updated).toContain('**Since the previous grade (`1111111`):** 1/2 → 2/2 (+1 points)');
    expect(updated).toContain('- ✅ now passing: says hello');
    const summary2 = readFileSync(second.env.GITHUB_STEP_SUMMARY ?? '', 'utf8');
    expect(summary2).toContain('**Since the previous grade (`1111111`):** 1/2 → 2/2 (+1 points)');
    expect(liveCommands(run2.stdout)).toEqual([]);
  });

  it('with comment: on-failure, posts nothing for a pass', async () => {
    const dir = exerciseDir('hello');
    const step = pullRequestStep(dir, { 'github-token': 'ghs_workflow', comment: 'on-failure' });
    const run = await runNode(ACTION, [], step.env);
    expect(run.code, run.stdout).toBe(0);
    expect(writesOf()).toEqual([]);
    expect(github.comments).toEqual([]);
    expect(parseRunnerFile(step.env.GITHUB_OUTPUT ?? '')).toMatchObject({ score: '2', passed: 'true' });
  });
});

describe("a fork's pull request: grade, then publish from workflow_run", () => {
  it('grades with a read-only token, writes the artifact, and the publish job comments and annotates', async () => {
    const dir = exerciseDir('bye');
    const artifact = path.join(dir, 'artifact');
    // The grade job of the README's fork workflow: no comment, no annotations, an artifact.
    const grade = pullRequestStep(dir, {
      'github-token': 'ghs_fork',
      comment: 'off',
      annotations: 'off',
      'artifact-path': artifact,
    });
    const graded = await runNode(ACTION, [], grade.env);
    expect(graded.code, graded.stdout).toBe(1);
    expect(github.requests).toEqual([]);
    expect(liveCommands(graded.stdout)).toEqual(['::error::score 1/2: not all checks passed']);
    const metadata = JSON.parse(readFileSync(path.join(artifact, 'pull-request.json'), 'utf8'));
    expect(metadata).toEqual({
      version: 1,
      repository: 'course/submission',
      pullRequest: 7,
      headSha: HEAD,
      workspace: dir,
    });

    // GitHub's "pull requests of a commit" misses forks; the head branch from the event finds it.
    github.commitPullsMissForks = true;
    github.pulls.push({ number: 7, state: 'open', headSha: HEAD, headRef: 'patch-1', headOwner: 'forker' });
    const publish = publishStep(artifact, 'ghp_instructor');
    const published = await runNode(ACTION, [], publish.env);
    expect(published.code, published.stdout).toBe(0);
    expect(github.requests.map((request) => `${request.method} ${request.path} ${request.status}`)).toEqual([
      `GET /repos/course/submission/commits/${HEAD}/pulls 200`,
      'GET /repos/course/submission/pulls 200',
      'GET /user 200',
      `GET ${COMMENTS_PATH} 200`,
      `POST ${COMMENTS_PATH} 201`,
      'POST /repos/course/submission/check-runs 201',
    ]);
    expect(github.requests[1]?.query).toEqual({ state: 'open', head: 'forker:patch-1', per_page: '100' });
    expect(github.comments[0]?.user.login).toBe('instructor');
    expect(github.comments[0]?.body).toContain(
      '[workflow run](https://github.com/course/submission/actions/runs/99)',
    );
    expect(github.checkRuns).toHaveLength(1);
    expect(github.checkRuns[0]).toMatchObject({
      name: 'Docker autograder',
      headSha: HEAD,
      // A grade from a fork's artifact is never a status that could be required and forged.
      conclusion: 'neutral',
      title: '1/2 points: not passed',
    });
    // The failed check has no place in the student's files (the exercise spec is the
    // instructor's), and a check run carries only annotations on a file.
    expect(github.checkRuns[0]?.annotations).toEqual([]);
    expect(parseRunnerFile(publish.env.GITHUB_OUTPUT ?? '')).toMatchObject({ score: '1', 'max-score': '2' });
    // Nothing from the artifact reaches the log outside the stop-commands block.
    expect(liveCommands(published.stdout)).toEqual([]);
  });
});

/** A step of a `workflow_run` workflow for the run that graded HEAD of forker:patch-1. */
function publishStep(artifact: string, token: string, inputs: Record<string, string> = {}): RunnerFiles {
  return runnerFiles(
    { mode: 'publish', 'artifact-path': artifact, 'github-token': token, ...inputs },
    {
      eventName: 'workflow_run',
      event: {
        action: 'completed',
        workflow_run: {
          id: 99,
          event: 'pull_request',
          head_sha: HEAD,
          head_branch: 'patch-1',
          head_repository: { full_name: 'forker/submission', owner: { login: 'forker' } },
          html_url: 'https://github.com/course/submission/actions/runs/99',
          pull_requests: [],
        },
      },
      env: { ...githubEnv(path.dirname(artifact)), GITHUB_RUN_ID: '100' },
    },
  );
}

function check(overrides: Partial<CheckResult> & Pick<CheckResult, 'name' | 'status'>): CheckResult {
  const pass = overrides.status === 'pass';
  return { points: pass ? 1 : 0, maxPoints: 1, message: pass ? 'passed' : 'failed', ...overrides };
}

function craftedReport(failures: number, workspace: string): GradeReport {
  return gradeReport(
    [
      exerciseResult({
        id: 'crafted/many',
        title: 'Many checks',
        specFile: path.join(workspace, 'exercises/many/exercise.yaml'),
        durationMs: 5,
        checks: [
          check({ name: 'fine', status: 'pass' }),
          ...Array.from({ length: failures }, (_, i) =>
            check({
              name: `check ${i} ::error::x`,
              status: 'fail',
              expected: 'equals "ok"',
              actual: `::set-output name=score::100\n@org/team ${i}`,
              location: { file: path.join(workspace, 'submission/Dockerfile'), line: i + 1, column: 1 },
            }),
          ),
        ],
      }),
    ],
    5,
  );
}

async function craftedArtifact(overrides: Partial<ArtifactMetadata> = {}, failures = 3): Promise<string> {
  const dir = tempDir('artifact');
  const workspace = '/home/runner/work/submission/submission';
  await writeArtifact(dir, craftedReport(failures, workspace), {
    version: 1,
    repository: 'course/submission',
    pullRequest: 7,
    headSha: HEAD,
    workspace,
    ...overrides,
  });
  return dir;
}

describe('the publish mode', () => {
  beforeEach(() => {
    github.pulls.push({ number: 7, state: 'open', headSha: HEAD, headRef: 'patch-1', headOwner: 'forker' });
  });

  it('sends 120 annotations in check-run requests of 50', async () => {
    const artifact = await craftedArtifact({}, 120);
    const run = await runNode(ACTION, [], publishStep(artifact, 'ghs_workflow').env);
    expect(run.code, run.stdout).toBe(0);
    const checkRuns = github.requests.filter((request) => request.path.includes('/check-runs'));
    expect(checkRuns.map((request) => `${request.method} ${request.status}`)).toEqual([
      'POST 201',
      'PATCH 200',
      'PATCH 200',
    ]);
    expect(github.checkRuns[0]?.annotations).toHaveLength(120);
    expect(github.checkRuns[0]?.annotations[119]).toMatchObject({
      path: 'submission/Dockerfile',
      start_line: 120,
      start_column: 1,
    });
    expect(run.stdout).toContain('120 annotations in 3 request(s)');
    expect(liveCommands(run.stdout)).toEqual([]);
  });

  it("refuses an artifact whose head SHA is not the workflow run's", async () => {
    const artifact = await craftedArtifact({ headSha: OTHER });
    const run = await runNode(ACTION, [], publishStep(artifact, 'ghs_workflow').env);
    expect(run.code).toBe(1);
    expect(liveCommands(run.stdout).map(parseCommand)).toEqual([
      {
        command: 'error',
        properties: {},
        message: `refusing the artifact: it describes commit ${OTHER}, but the workflow run graded ${HEAD}`,
      },
    ]);
    expect(github.writes()).toEqual([]);
  });

  it("refuses an artifact whose head SHA does not match the API's pull request", async () => {
    // The student pushed again: #7's head is now NEWER, so HEAD is the head of no open pull request.
    const pull = github.pulls[0];
    if (pull !== undefined) pull.headSha = NEWER;
    const artifact = await craftedArtifact();
    const run = await runNode(ACTION, [], publishStep(artifact, 'ghs_workflow').env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `::error::refusing the artifact: it claims pull request #7, but the head commit ${HEAD} belongs to no open pull request`,
    );
    expect(github.writes()).toEqual([]);
  });

  it('refuses an artifact that names another pull request than the API', async () => {
    const artifact = await craftedArtifact({ pullRequest: 8 });
    const run = await runNode(ACTION, [], publishStep(artifact, 'ghs_workflow').env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `::error::refusing the artifact: it claims pull request #8, but the head commit ${HEAD} belongs to #7`,
    );
    expect(github.writes()).toEqual([]);
  });

  it('refuses an artifact whose report breaks the schema', async () => {
    const artifact = await craftedArtifact();
    const report = JSON.parse(readFileSync(path.join(artifact, 'report.json'), 'utf8'));
    report.score = 1000;
    report.exercises[0].checks[0].points = 1000;
    report.exercises[0].score = 1000;
    report.exercises[0].injected = '<script>';
    writeFileSync(path.join(artifact, 'report.json'), JSON.stringify(report));
    const run = await runNode(ACTION, [], publishStep(artifact, 'ghs_workflow').env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('::error::report.json does not match schema/report.schema.json');
    expect(github.requests).toEqual([]);
  });
});
