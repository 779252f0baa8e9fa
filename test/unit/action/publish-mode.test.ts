// Publish mode without a runner: the artifact of a grade job is read from its folder, checked
// against the workflow run and the API (a local fake of GitHub's REST API), and published.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../src/action/main';
import { type ArtifactMetadata, writeArtifact } from '../../../src/github/artifact';
import type { CheckResult } from '../../../src/report/model';
import { singleExerciseReport } from '../../support/report-fixtures';
import { fakeDeps, fakeGitHubPerTest, tempDir } from './action-fakes';

const HEAD = '1111111111111111111111111111111111111111';
const OTHER = '3333333333333333333333333333333333333333';
const WORKSPACE = '/home/runner/work/submission/submission';

const github = fakeGitHubPerTest();

beforeEach(() => {
  github().pulls.push({ number: 7, state: 'open', headSha: HEAD, headRef: 'patch-1', headOwner: 'forker' });
});

function check(name: string, status: CheckResult['status'], line: number): CheckResult {
  return {
    name,
    status,
    points: status === 'pass' ? 1 : 0,
    maxPoints: 1,
    message: status,
    location: { file: path.join(WORKSPACE, 'submission/Dockerfile'), line, column: 1 },
  };
}

const REPORT = singleExerciseReport({
  id: 'demo/publish',
  title: 'Publish',
  specFile: path.join(WORKSPACE, 'exercises/publish/exercise.yaml'),
  durationMs: 5,
  checks: [check('fine', 'pass', 1), check('broken', 'fail', 2)],
});

async function artifact(overrides: Partial<ArtifactMetadata> = {}): Promise<string> {
  const dir = tempDir('artifact');
  await writeArtifact(dir, REPORT, {
    version: 1,
    repository: 'course/submission',
    pullRequest: 7,
    headSha: HEAD,
    workspace: WORKSPACE,
    ...overrides,
  });
  return dir;
}

/** The environment of a `workflow_run` job for the run that graded HEAD of forker:patch-1. */
function workflowRunEnv(): NodeJS.ProcessEnv {
  const event = path.join(tempDir('event'), 'event.json');
  writeFileSync(
    event,
    JSON.stringify({
      workflow_run: {
        id: 99,
        head_sha: HEAD,
        head_branch: 'patch-1',
        head_repository: { owner: { login: 'forker' } },
        html_url: 'https://github.com/course/submission/actions/runs/99',
      },
    }),
  );
  return {
    GITHUB_EVENT_NAME: 'workflow_run',
    GITHUB_EVENT_PATH: event,
    GITHUB_REPOSITORY: 'course/submission',
    GITHUB_API_URL: github().url,
    GITHUB_WORKSPACE: WORKSPACE,
  };
}

function publishDeps(folder: string, token = 'workflow') {
  const deps = fakeDeps();
  Object.assign(deps.core.inputs, { mode: 'publish', 'artifact-path': folder, 'github-token': token });
  return deps;
}

// The first test loads GitHub's OpenAPI description and octokit: seconds on a busy machine.
describe('publish mode', { timeout: 30_000 }, () => {
  it("reads the artifact's report, sets the outputs, comments and creates a neutral check run", async () => {
    const folder = await artifact();
    const deps = publishDeps(folder);
    await run(deps, workflowRunEnv());

    expect(deps.core.failures).toEqual([]);
    expect(deps.core.outputs).toMatchObject({
      score: 1,
      'max-score': 2,
      passed: false,
      report: path.join(folder, 'report.json'),
    });
    expect(deps.clientsMade).toEqual([github().url]);
    expect(github().comments.map((comment) => comment.issueNumber)).toEqual([7]);
    expect(github().comments[0]?.body).toContain('broken');
    // The fork controlled the grade job: its grade can never satisfy a required check.
    expect(github().checkRuns).toMatchObject([
      { headSha: HEAD, conclusion: 'neutral', title: '1/2 points: not passed' },
    ]);
    expect(github().checkRuns[0]?.annotations).toMatchObject([
      { path: 'submission/Dockerfile', start_line: 2 },
    ]);
    // With a check run, no annotations on the step: they would be the fork's words on this job.
    expect(deps.core.annotations).toEqual([]);
    expect(deps.sessions).toEqual([]);
  });

  it('refuses an artifact for another commit than the workflow run graded, asking GitHub nothing', async () => {
    const deps = publishDeps(await artifact({ headSha: OTHER }));
    await run(deps, workflowRunEnv());
    expect(deps.core.failures).toEqual([
      `refusing the artifact: it describes commit ${OTHER}, but the workflow run graded ${HEAD}`,
    ]);
    expect(deps.core.exitCode).toBe(1);
    expect(github().requests).toEqual([]);
    // No grade from a refused artifact: only Classroom's error.
    expect(Object.keys(deps.core.outputs)).toEqual(['result']);
  });

  it('refuses a report that breaks the schema', async () => {
    const folder = await artifact();
    const file = path.join(folder, 'report.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"score": 1', '"score": 1000'));
    const deps = publishDeps(folder);
    await run(deps, workflowRunEnv());
    expect(deps.core.failures).toHaveLength(1);
    expect(deps.core.failures[0]).toMatch(/^report\.json\b/);
    expect(github().requests).toEqual([]);
  });

  it('fails the step when it cannot publish: publishing is its whole purpose', async () => {
    const deps = publishDeps(await artifact(), 'readonly');
    await run(deps, workflowRunEnv());
    expect(deps.core.failures).toHaveLength(1);
    expect(deps.core.failures[0]).toMatch(
      /^could not comment on pull request #7: .* \(the token cannot write here: for pull requests from forks/,
    );
    expect(deps.core.exitCode).toBe(1);
  });
});
