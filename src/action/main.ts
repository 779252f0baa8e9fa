// run(): the action. Two modes:
//   grade   (default) inputs -> grade -> report file, outputs, job summary, annotations, sticky
//           comment / check run when the token can write, and optionally an artifact folder;
//   publish reads a grade job's artifact (untrusted) from a `workflow_run`, finds the pull request
//           through the API and comments and annotates there.
// The only setFailed is here.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as core from '@actions/core';
import { readArtifact, UntrustedArtifactError, writeArtifact } from '../github/artifact';
import { type CheckRunPublished, type Conclusion, publishCheckRun } from '../github/check-run';
import { createClient, type GitHubClient, httpStatus } from '../github/client';
import { findStickyComment, type StickyComment, writeStickyComment } from '../github/comment';
import { type GitHubContext, type Repository, readContext } from '../github/context';
import { commentAuthor } from '../github/identity';
import { pullRequestsForCommit } from '../github/pull-request';
import { grade } from '../grading/grade';
import { newRunId, watchdogMs, withEngine } from '../grading/session';
import { type AnnotationOptions, annotationsOf, limitForStep } from '../report/annotations';
import { renderClassroom, renderClassroomError } from '../report/classroom';
import { gradeChange, readSnapshot, renderComment } from '../report/comment';
import { renderJson } from '../report/json';
import { COMMENT_MAX_CHARS, renderMarkdown } from '../report/markdown';
import { type GradeReport, hasInfraError } from '../report/model';
import { defangWorkflowCommands, newStopToken, stopCommandsMarkers, stripUnsafe } from '../report/sanitize';
import { renderText } from '../report/text';
import { ExitCode, errorMessage, formatProblem, InfraError, SpecError, UsageError } from '../shared/errors';
import { loadExercises } from '../spec/discover';
import { type CommentMode, type Inputs, readInputs } from './inputs';

export const STATE_RUN_ID = 'run-id';
/** The engine the main step graded on, for the post step's cleanup. */
export const STATE_DOCKER_HOST = 'docker-host';

export async function run(): Promise<void> {
  try {
    const inputs = readInputs();
    const context = await readContext();
    if (inputs.mode === 'publish') {
      await publishMode(inputs, context);
    } else {
      await gradeMode(inputs, context);
    }
  } catch (error) {
    fail(error);
  }
}

async function gradeMode(inputs: Inputs, context: GitHubContext): Promise<void> {
  const exercises = await loadExercises(inputs.exercises);
  const runId = newRunId();
  // The post step removes whatever this run left if the job is cancelled mid-way.
  core.saveState(STATE_RUN_ID, runId);
  core.saveState(STATE_DOCKER_HOST, inputs.dockerHost);
  const report = await inUntrustedBlock(() =>
    withEngine(
      (engine) =>
        grade(exercises, {
          engine,
          submissionRoot: inputs.submission,
          progress: {
            info: (line) => core.info(line),
            output: (line) => core.info(`  | ${defangWorkflowCommands(stripUnsafe(line))}`),
          },
        }).then((graded) => {
          core.info('');
          core.info(defangWorkflowCommands(renderText(graded)));
          return graded;
        }),
      {
        runId,
        host: inputs.dockerHost,
        log: (line) => core.info(line),
        watchdogMs: watchdogMs(exercises),
        // The process exits right after: the outputs Classroom's reporter reads must be there.
        onAbandon: (reason) => {
          setErrorResult(reason);
          core.setFailed(`grading did not complete: ${reason}; this is not a grade`);
        },
      },
    ),
  );
  await mkdir(path.dirname(inputs.reportFile), { recursive: true });
  await writeFile(inputs.reportFile, renderJson(report));
  setOutputs(report, inputs.reportFile);

  // For a pull_request event GITHUB_SHA is a merge commit nobody sees; feedback belongs on the head.
  const headSha = context.pullRequest?.headSha ?? context.sha;
  if (inputs.artifactPath !== '') {
    if (context.repository === undefined || headSha === undefined) {
      throw new UsageError(
        '"artifact-path" needs GITHUB_REPOSITORY and a commit to describe (run it in a workflow)',
      );
    }
    await writeArtifact(inputs.artifactPath, report, {
      version: 1,
      repository: `${context.repository.owner}/${context.repository.repo}`,
      ...(context.pullRequest === undefined ? {} : { pullRequest: context.pullRequest.number }),
      headSha,
      workspace: path.resolve(context.workspace),
    });
    core.info(`wrote the grade and pull request metadata to ${inputs.artifactPath} for a publish job`);
  }

  await feedback(report, inputs, context, {
    pullRequests: context.pullRequest === undefined ? [] : [context.pullRequest.number],
    headSha,
    runUrl: context.runUrl,
    paths: { workspace: context.workspace, cwd: process.cwd() },
    annotations: inputs.annotations === 'auto' ? 'commands' : inputs.annotations,
    // A grade is worth more than its comment: API failures here are warnings.
    strict: false,
    trustedGrade: true,
  });

  if (hasInfraError(report)) {
    core.setFailed('grading did not complete: the Docker engine failed (see the log); this is not a grade');
    // As the CLI does: 3 tells an infrastructure error from a grade (setFailed makes it 1).
    process.exitCode = ExitCode.infrastructure;
  } else if (!report.passed && inputs.failIfNotPassed) {
    core.setFailed(`score ${report.score}/${report.maxScore}: not all checks passed`);
  }
}

async function publishMode(inputs: Inputs, context: GitHubContext): Promise<void> {
  const workflowRun = context.workflowRun;
  if (workflowRun === undefined || context.repository === undefined) {
    throw new UsageError('mode "publish" runs in a workflow triggered by `workflow_run` (see the README)');
  }
  const repository = context.repository;
  const artifact = await readArtifact(inputs.artifactPath);
  const { metadata, report } = artifact;
  // The workflow_run event comes from GitHub; the artifact from whoever controlled the grade job.
  if (metadata.headSha !== workflowRun.headSha) {
    throw new UntrustedArtifactError(
      `refusing the artifact: it describes commit ${metadata.headSha}, but the workflow run graded ${workflowRun.headSha}`,
    );
  }
  if (metadata.repository.toLowerCase() !== fullName(repository).toLowerCase()) {
    throw new UntrustedArtifactError(
      `refusing the artifact: it is for ${metadata.repository}, not ${fullName(repository)}`,
    );
  }
  await inUntrustedBlock(async () => {
    core.info(`grade from the artifact of ${workflowRun.htmlUrl ?? `workflow run ${workflowRun.id}`}:`);
    core.info(defangWorkflowCommands(renderText(report)));
  });
  if (inputs.token === '') throw new UsageError('mode "publish" needs the input "github-token"');

  const client = await createClient(inputs.token, context.apiUrl);
  const head =
    workflowRun.headOwner !== undefined && workflowRun.headBranch !== undefined
      ? { owner: workflowRun.headOwner, branch: workflowRun.headBranch }
      : undefined;
  const pullRequests = await pullRequestsForCommit(client, repository, workflowRun.headSha, head);
  if (metadata.pullRequest !== undefined && !pullRequests.includes(metadata.pullRequest)) {
    const found = pullRequests.length === 0 ? 'no open pull request' : `#${pullRequests.join(', #')}`;
    throw new UntrustedArtifactError(
      `refusing the artifact: it claims pull request #${metadata.pullRequest}, but the head commit ${workflowRun.headSha} belongs to ${found}`,
    );
  }
  if (pullRequests.length === 0) {
    core.info(`commit ${workflowRun.headSha} is not the head of an open pull request (pushed to since?)`);
  }
  // Outputs only once the artifact has been checked against what GitHub says.
  setOutputs(report, artifact.reportFile);
  const workspace = metadata.workspace ?? context.workspace;
  await feedback(
    report,
    inputs,
    context,
    {
      pullRequests,
      headSha: workflowRun.headSha,
      runUrl: workflowRun.htmlUrl,
      paths: { workspace, cwd: workspace },
      annotations: inputs.annotations === 'auto' ? 'check-run' : inputs.annotations,
      // Publishing is this job's whole purpose: if it cannot, it fails.
      strict: true,
      // The grade job ran the fork's own workflow: its grade is feedback, not a status to trust.
      trustedGrade: false,
    },
    client,
  );
}

interface FeedbackTarget {
  pullRequests: number[];
  headSha: string | undefined;
  runUrl: string | undefined;
  paths: AnnotationOptions;
  annotations: 'commands' | 'check-run' | 'off';
  strict: boolean;
  /**
   * Whether this job graded the work itself. A published grade came from an artifact the fork
   * controlled, so its check run is `neutral`: it can never satisfy a required status check.
   */
  trustedGrade: boolean;
}

/** Job summary, annotations, sticky comment and check run: where students and instructors look. */
async function feedback(
  report: GradeReport,
  inputs: Inputs,
  context: GitHubContext,
  target: FeedbackTarget,
  existingClient?: GitHubClient,
): Promise<void> {
  const problem = (what: string, error: unknown): void => {
    const message = `${what}: ${errorMessage(error)}${hintFor(error)}`;
    if (target.strict) throw new UsageError(message);
    core.warning(message);
  };
  const repository = context.repository;
  const wantsComment = inputs.comment !== 'off' && target.pullRequests.length > 0;
  const wantsCheckRun = target.annotations === 'check-run';
  let client = existingClient;
  if (client === undefined && (wantsComment || wantsCheckRun)) {
    if (inputs.token === '' || repository === undefined) {
      core.info('no github-token or repository: no pull request comment or check run');
    } else {
      client = await createClient(inputs.token, context.apiUrl);
    }
  }

  // The previous grade is read before the summary is written, so both can show the change.
  const existing = new Map<number, StickyComment | undefined>();
  // Without the list of comments, a new one could duplicate the sticky one: then none is written.
  let commentsRead = false;
  if (wantsComment && client !== undefined && repository !== undefined) {
    try {
      const author = await commentAuthor(client, inputs.commentAuthor);
      core.info(`sticky comment author: ${author.login} (${author.source})`);
      for (const number of target.pullRequests) {
        existing.set(
          number,
          await findStickyComment(client, repository, number, inputs.commentKey, author.login),
        );
      }
      commentsRead = true;
    } catch (error) {
      problem('could not read the pull request comments', error);
    }
  }
  const previousBody = target.pullRequests.map((number) => existing.get(number)).find(Boolean)?.body;
  const previous = previousBody === undefined ? undefined : readSnapshot(previousBody);
  const change = previous === undefined ? undefined : gradeChange(report, previous);

  if (process.env.GITHUB_STEP_SUMMARY) {
    await core.summary.addRaw(renderMarkdown(report, { change, runUrl: target.runUrl })).write();
  }

  const annotations = annotationsOf(report, target.paths);
  if (target.annotations === 'commands') {
    const { annotations: shown } = limitForStep(annotations);
    for (const annotation of shown) {
      const properties = {
        title: annotation.title,
        file: annotation.file,
        startLine: annotation.file === undefined ? undefined : annotation.line,
        startColumn: annotation.file === undefined ? undefined : annotation.column,
      };
      if (annotation.level === 'error') core.error(annotation.message, properties);
      else core.warning(annotation.message, properties);
    }
  }

  if (commentsRead && client !== undefined && repository !== undefined) {
    for (const number of target.pullRequests) {
      const current = existing.get(number);
      if (!shouldComment(inputs.comment, report, current)) {
        core.info(`#${number}: every check passed and comment is on-failure: no comment`);
        continue;
      }
      const previousHere = current === undefined ? undefined : readSnapshot(current.body);
      const body = renderComment(report, {
        key: inputs.commentKey,
        change: previousHere === undefined ? undefined : gradeChange(report, previousHere),
        runUrl: target.runUrl,
        sha: target.headSha,
      });
      try {
        const written = await writeStickyComment(client, repository, number, current, body);
        core.info(`#${number}: comment ${written.action}: ${written.url}`);
      } catch (error) {
        problem(`could not comment on pull request #${number}`, error);
      }
    }
  }

  if (wantsCheckRun && client !== undefined && repository !== undefined) {
    if (target.headSha === undefined) {
      core.info('no commit to attach a check run to');
    } else {
      try {
        logCheckRun(
          await publishCheckRun(client, repository, checkRunRequest(report, inputs, target, annotations)),
        );
      } catch (error) {
        problem('could not create the check run', error);
      }
    }
  }
}

// `on-failure` creates no comment for a pass, but an existing one is still updated: it must not
// go on showing a failure that has since been fixed.
function shouldComment(mode: CommentMode, report: GradeReport, existing: StickyComment | undefined): boolean {
  return mode === 'always' || !report.passed || existing !== undefined;
}

function checkRunRequest(
  report: GradeReport,
  inputs: Inputs,
  target: FeedbackTarget,
  annotations: ReturnType<typeof annotationsOf>,
): Parameters<typeof publishCheckRun>[2] {
  const conclusion: Conclusion = !target.trustedGrade ? 'neutral' : report.passed ? 'success' : 'failure';
  const verdict = report.passed ? 'passed' : hasInfraError(report) ? 'grading error' : 'not passed';
  return {
    name: inputs.checkName,
    headSha: target.headSha ?? '',
    conclusion,
    title: `${report.score}/${report.maxScore} points: ${verdict}`,
    summary: renderMarkdown(report, { maxChars: COMMENT_MAX_CHARS, runUrl: target.runUrl }),
    annotations,
    detailsUrl: target.runUrl,
  };
}

function logCheckRun(published: CheckRunPublished): void {
  const skipped = published.skipped === 0 ? '' : ` (${published.skipped} outside the repository left out)`;
  core.info(
    `check run ${published.url || published.id}: ${published.annotated} annotations in ${published.requests} request(s)${skipped}`,
  );
}

function hintFor(error: unknown): string {
  const status = httpStatus(error);
  if (status === 403 || status === 404) {
    return ' (the token cannot write here: for pull requests from forks, grade with `artifact-path` and publish from a `workflow_run` workflow, see the README)';
  }
  return '';
}

function fullName(repository: Repository): string {
  return `${repository.owner}/${repository.repo}`;
}

/** Outputs are numbers, booleans, a path the action chose and base64: nothing a student wrote. */
function setOutputs(report: GradeReport, reportFile: string): void {
  core.setOutput('score', report.score);
  core.setOutput('max-score', report.maxScore);
  core.setOutput('passed', report.passed);
  core.setOutput('report', path.resolve(reportFile));
  core.setOutput('result', renderClassroom(report));
  resultSet = true;
}

/** Whether `result` holds a grade: it is never overwritten by a later failure. */
let resultSet = false;

/**
 * `result` when no grade exists (the engine failed before one did, the run was interrupted):
 * Classroom's status error, never empty, since its reporter crashes on an empty variable.
 */
function setErrorResult(reason: string): void {
  if (resultSet) return;
  core.setOutput('result', renderClassroomError(reason));
  resultSet = true;
}

/**
 * Everything printed while student code runs (or while a student's report is shown) is inside a
 * stop-commands block with a token nobody can guess, so no output line becomes a workflow command.
 */
async function inUntrustedBlock<T>(work: () => Promise<T>): Promise<T> {
  const { start, end } = stopCommandsMarkers(newStopToken());
  process.stdout.write(`${start}\n`);
  try {
    return await work();
  } finally {
    process.stdout.write(`${end}\n`);
  }
}

const SPEC_PROBLEMS_ANNOTATED = 9;

function fail(error: unknown): void {
  setErrorResult(error instanceof SpecError ? 'the exercise specs have problems' : errorMessage(error));
  if (error instanceof SpecError) {
    // GitHub shows 10 error annotations per step, and setFailed makes one: 9 problems, then
    // the log has them all.
    const shown = error.problems.slice(0, SPEC_PROBLEMS_ANNOTATED);
    for (const problem of shown) {
      core.error(problem.message, {
        file: problem.file,
        startLine: problem.line,
        startColumn: problem.column,
      });
    }
    for (const problem of error.problems.slice(shown.length)) core.info(formatProblem(problem));
    core.setFailed(
      `the exercise specs have ${error.problems.length} problem(s); see the annotations and the log`,
    );
  } else if (error instanceof InfraError) {
    core.setFailed(`grading did not complete: ${error.message}; this is not a grade`);
    process.exitCode = ExitCode.infrastructure;
  } else if (error instanceof UsageError || error instanceof UntrustedArtifactError) {
    core.setFailed(error.message);
  } else {
    core.setFailed(`internal error: ${errorMessage(error)}`);
  }
}
