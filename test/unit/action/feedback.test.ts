// Feedback, one job at a time: the GitHub client, the sticky comment, the grade change, the job
// summary, the annotations and the check run; then the order they run in. GitHub is the local
// fake of its REST API; the runner is the recording one.
import { describe, expect, it } from 'vitest';
import { annotateStep } from '../../../src/action/feedback/annotations';
import { createCheckRun } from '../../../src/action/feedback/check-run';
import { feedback } from '../../../src/action/feedback/feedback';
import { type GitHubRepository, gitHubFor } from '../../../src/action/feedback/github';
import { changeSince, previousComment } from '../../../src/action/feedback/grade-change';
import { readStickyComments, writeStickyComments } from '../../../src/action/feedback/sticky-comment';
import { writeJobSummary } from '../../../src/action/feedback/summary';
import { type FeedbackTarget, problemReporter } from '../../../src/action/feedback/target';
import { type Inputs, readInputs } from '../../../src/action/inputs';
import { createClient } from '../../../src/github/client';
import type { GitHubContext } from '../../../src/github/context';
import type { Annotation } from '../../../src/report/annotations';
import { renderComment } from '../../../src/report/comment';
import type { CheckResult, GradeReport } from '../../../src/report/model';
import { UsageError } from '../../../src/shared/errors';
import { GITHUB_ACTIONS_BOT, STUDENT } from '../../support/fake-github/server';
import { singleExerciseReport } from '../../support/report-fixtures';
import { fakeDeps, fakeGitHubPerTest, RecordingCore } from './action-fakes';

const HEAD = '1111111111111111111111111111111111111111';
const REPOSITORY = { owner: 'course', repo: 'submission' };

const github = fakeGitHubPerTest();

function reportWith(...statuses: CheckResult['status'][]): GradeReport {
  return singleExerciseReport({
    id: 'demo/one',
    title: 'Demo',
    specFile: '/spec/exercise.yaml',
    durationMs: 1,
    checks: statuses.map((status, index) => ({
      name: `check ${index}`,
      status,
      points: status === 'pass' ? 1 : 0,
      maxPoints: 1,
      message: status,
    })),
  });
}

async function connected(token = 'workflow'): Promise<GitHubRepository> {
  return { client: await createClient(token, github().url), repository: REPOSITORY };
}

const INPUT_VALUES: Record<string, string> = { exercises: 'x', 'github-token': 'workflow' };
/** The action's defaults, with a token that can write. */
const INPUTS: Inputs = readInputs({}, { getInput: (name) => INPUT_VALUES[name] ?? '' });

const TARGET: FeedbackTarget = {
  pullRequests: [7],
  headSha: HEAD,
  runUrl: 'https://github.com/course/submission/actions/runs/1',
  paths: { workspace: '/work', cwd: '/work' },
  annotations: 'commands',
  strict: false,
  trustedGrade: true,
};

function contextOf(overrides: Partial<GitHubContext> = {}): GitHubContext {
  return {
    eventName: 'pull_request',
    workspace: '/work',
    apiUrl: github().url,
    repository: REPOSITORY,
    ...overrides,
  };
}

/** A sticky comment of an earlier run that graded `report`, as the bot wrote it. */
function earlierComment(report: GradeReport, user = GITHUB_ACTIONS_BOT) {
  return github().addComment(7, user, renderComment(report, { key: 'default', sha: HEAD }));
}

// GitHub is slow to load on a busy machine (the OpenAPI description, octokit).
describe('feedback', { timeout: 30_000 }, () => {
  describe('the GitHub client', () => {
    it('is made from the token only when a comment or check run is wanted', async () => {
      const deps = fakeDeps();
      expect(await gitHubFor(false, 'workflow', contextOf(), deps, undefined)).toBeUndefined();
      expect(deps.clientsMade).toEqual([]);
      const made = await gitHubFor(true, 'workflow', contextOf(), deps, undefined);
      expect(made?.repository).toEqual(REPOSITORY);
      expect(deps.clientsMade).toEqual([github().url]);
    });

    it('is not made without a token or a repository, and the log says so', async () => {
      const deps = fakeDeps();
      expect(await gitHubFor(true, '', contextOf(), deps, undefined)).toBeUndefined();
      expect(
        await gitHubFor(true, 'workflow', contextOf({ repository: undefined }), deps, undefined),
      ).toBeUndefined();
      expect(deps.clientsMade).toEqual([]);
      expect(deps.core.log).toEqual([
        'no github-token or repository: no pull request comment or check run',
        'no github-token or repository: no pull request comment or check run',
      ]);
    });

    it("is the publish job's own when it has one", async () => {
      const deps = fakeDeps();
      const { client } = await connected();
      const found = await gitHubFor(false, '', contextOf(), deps, client);
      expect(found?.client).toBe(client);
      expect(deps.clientsMade).toEqual([]);
    });
  });

  describe('a failed GitHub request', () => {
    const forbidden = Object.assign(new Error('Resource not accessible by integration'), { status: 403 });

    it('is a warning with a hint when feedback is not the job', () => {
      const core = new RecordingCore();
      problemReporter(core, false)('could not comment', forbidden);
      expect(core.annotations).toHaveLength(1);
      expect(core.annotations[0]?.level).toBe('warning');
      expect(core.annotations[0]?.message).toMatch(
        /^could not comment: Resource not accessible by integration \(the token cannot write here: /,
      );
    });

    it('fails the step as a usage error when publishing is the job', () => {
      const core = new RecordingCore();
      expect(() => problemReporter(core, true)('could not comment', new Error('boom'))).toThrow(
        new UsageError('could not comment: boom'),
      );
      expect(core.annotations).toEqual([]);
    });
  });

  describe('the sticky comment', () => {
    it("is found by its marker and the token's author, not by the marker alone", async () => {
      earlierComment(reportWith('fail'), STUDENT);
      const own = earlierComment(reportWith('fail'));
      const core = new RecordingCore();
      const read = await readStickyComments(
        await connected(),
        [7],
        INPUTS,
        core,
        problemReporter(core, true),
      );
      expect(read.complete).toBe(true);
      expect(read.existing.get(7)?.id).toBe(own.id);
      expect(core.log).toEqual(['sticky comment author: github-actions[bot] (default)']);
    });

    it('is updated in place when it exists, and created when it does not', async () => {
      const own = earlierComment(reportWith('fail'));
      const core = new RecordingCore();
      const problem = problemReporter(core, true);
      const github7and8 = await connected();
      const read = await readStickyComments(github7and8, [7, 8], INPUTS, core, problem);
      await writeStickyComments(
        github7and8,
        reportWith('pass'),
        read.existing,
        { ...TARGET, pullRequests: [7, 8] },
        INPUTS,
        core,
        problem,
      );
      expect(
        github()
          .comments.filter((comment) => comment.user === GITHUB_ACTIONS_BOT)
          .map((c) => c.issueNumber),
      ).toEqual([7, 8]);
      expect(github().comments.find((comment) => comment.id === own.id)?.body).toContain('1/1');
      expect(core.log.slice(1).map((line) => line.replace(/: http.*/, ''))).toEqual([
        '#7: comment updated',
        '#8: comment created',
      ]);
    });

    it('is not created for a pass when comment is on-failure', async () => {
      const core = new RecordingCore();
      const onFailure = { ...INPUTS, comment: 'on-failure' as const };
      await writeStickyComments(
        await connected(),
        reportWith('pass'),
        new Map(),
        TARGET,
        onFailure,
        core,
        problemReporter(core, true),
      );
      expect(github().writes()).toEqual([]);
      expect(core.log).toEqual(['#7: every check passed and comment is on-failure: no comment']);
    });
  });

  describe('the grade change', () => {
    it("is read from the previous comment's grade", async () => {
      const comment = { id: 1, body: renderComment(reportWith('fail', 'pass'), { key: 'default' }) };
      expect(changeSince(reportWith('pass', 'pass'), comment)).toMatchObject({
        previousScore: 1,
        previousMaxScore: 2,
        nowPassing: ['check 0'],
        noLongerPassing: [],
      });
      expect(changeSince(reportWith('pass'), undefined)).toBeUndefined();
      expect(changeSince(reportWith('pass'), { id: 2, body: 'no grade in here' })).toBeUndefined();
    });

    it("is the first pull request's that has a comment", () => {
      const second = { id: 2, body: 'b' };
      const existing = new Map([
        [7, undefined],
        [8, second],
        [9, { id: 3, body: 'c' }],
      ]);
      expect(previousComment(existing, [7, 8, 9])).toBe(second);
    });
  });

  it('the job summary is the Markdown report with the change', async () => {
    const core = new RecordingCore();
    const change = { previousScore: 0, previousMaxScore: 1, nowPassing: ['check 0'], noLongerPassing: [] };
    await writeJobSummary(core, reportWith('pass'), change, TARGET.runUrl);
    expect(core.summaries).toHaveLength(1);
    expect(core.summaries[0]).toContain('1/1');
    expect(core.summaries[0]).toContain(TARGET.runUrl);
    const without = new RecordingCore();
    await writeJobSummary(without, reportWith('pass'), undefined, TARGET.runUrl);
    expect(core.summaries[0]).not.toBe(without.summaries[0]);
  });

  describe('the annotations on the step', () => {
    it('point at a file and line only when they have a file', () => {
      const core = new RecordingCore();
      annotateStep(core, [
        { level: 'error', title: 'a', message: 'in a file', file: 'Dockerfile', line: 3, column: 2 },
        { level: 'warning', title: 'b', message: 'nowhere', line: 1 },
      ]);
      expect(core.annotations).toEqual([
        {
          level: 'error',
          message: 'in a file',
          place: { title: 'a', file: 'Dockerfile', startLine: 3, startColumn: 2 },
        },
        {
          level: 'warning',
          message: 'nowhere',
          place: { title: 'b', file: undefined, startLine: undefined, startColumn: undefined },
        },
      ]);
    });

    it('are at most 10 errors, the last one saying how many more there are', () => {
      const core = new RecordingCore();
      const many: Annotation[] = Array.from({ length: 12 }, (_, index) => ({
        level: 'error',
        title: `t${index}`,
        message: `m${index}`,
        line: 1,
      }));
      annotateStep(core, many);
      expect(core.annotations).toHaveLength(10);
      expect(core.annotations[9]?.place?.title).toBe('3 more failed checks');
    });
  });

  describe('the check run', () => {
    const annotations: Annotation[] = [
      { level: 'error', title: 'x', message: 'wrong', file: 'submission/Dockerfile', line: 2 },
    ];

    it('concludes with the grade when this job graded, and carries the annotations', async () => {
      const core = new RecordingCore();
      await createCheckRun(
        await connected(),
        reportWith('pass', 'fail'),
        annotations,
        TARGET,
        'Grader',
        core,
        problemReporter(core, true),
      );
      expect(github().checkRuns).toMatchObject([
        { name: 'Grader', headSha: HEAD, conclusion: 'failure', title: '1/2 points: not passed' },
      ]);
      expect(github().checkRuns[0]?.annotations).toMatchObject([
        { path: 'submission/Dockerfile', start_line: 2 },
      ]);
      expect(core.log).toHaveLength(1);
      expect(core.log[0]).toMatch(/: 1 annotations in 1 request\(s\)$/);
    });

    it("is neutral for a grade from someone else's job, and says a grading error", async () => {
      const core = new RecordingCore();
      const untrusted = { ...TARGET, trustedGrade: false };
      await createCheckRun(
        await connected(),
        reportWith('pass', 'error'),
        [],
        untrusted,
        'Grader',
        core,
        problemReporter(core, true),
      );
      expect(github().checkRuns).toMatchObject([
        { conclusion: 'neutral', title: '1/2 points: grading error' },
      ]);
    });

    it('needs a commit', async () => {
      const core = new RecordingCore();
      await createCheckRun(
        await connected(),
        reportWith('pass'),
        [],
        { ...TARGET, headSha: undefined },
        'Grader',
        core,
        problemReporter(core, true),
      );
      expect(github().requests).toEqual([]);
      expect(core.log).toEqual(['no commit to attach a check run to']);
    });
  });

  describe('all of it, in grade mode', () => {
    it('shows the change since the previous comment in both the summary and the new comment', async () => {
      earlierComment(reportWith('fail', 'fail'));
      const deps = fakeDeps();
      await feedback(reportWith('pass', 'fail'), INPUTS, contextOf(), deps, TARGET);
      expect(deps.core.summaries[0]).toContain('check 0');
      const bot = github().comments.filter((comment) => comment.user === GITHUB_ACTIONS_BOT);
      expect(bot).toHaveLength(1);
      expect(bot[0]?.body).toContain('1/2');
      // The failed check, annotated on the step.
      expect(deps.core.annotations.map((annotation) => annotation.place?.title)).toEqual([
        'demo/one: check 1 (0/1 points)',
      ]);
    });

    it('warns, and writes the summary, when the token cannot comment', async () => {
      const deps = fakeDeps();
      const noAnnotations = { ...TARGET, annotations: 'off' as const };
      await feedback(reportWith('fail'), { ...INPUTS, token: 'readonly' }, contextOf(), deps, noAnnotations);
      expect(deps.core.summaries).toHaveLength(1);
      expect(deps.core.annotations.map((annotation) => annotation.level)).toEqual(['warning']);
      expect(deps.core.annotations[0]?.message).toMatch(/^could not comment on pull request #7: /);
      expect(github().comments).toEqual([]);
    });

    it('writes no comment when the comments could not be read: it could duplicate the sticky one', async () => {
      const deps = fakeDeps();
      const noAnnotations = { ...TARGET, annotations: 'off' as const };
      // An unknown token: every request is refused, the read of the comments too.
      await feedback(reportWith('fail'), { ...INPUTS, token: 'unknown' }, contextOf(), deps, noAnnotations);
      expect(deps.core.annotations.map((annotation) => annotation.message)).toEqual([
        expect.stringMatching(/^could not read the pull request comments: /),
      ]);
      expect(github().writes()).toEqual([]);
    });
  });
});
