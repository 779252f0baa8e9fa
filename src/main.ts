// run(): the action. Inputs -> grade -> job summary, report file, outputs. The only setFailed.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as core from '@actions/core';
import { errorMessage, InfraError, SpecError, UsageError } from './errors';
import { grade } from './grade';
import { readInputs } from './inputs';
import { renderJson } from './report/json';
import { renderMarkdown } from './report/markdown';
import { type GradeReport, hasInfraError } from './report/model';
import { defangWorkflowCommands, newStopToken, stripUnsafe } from './report/sanitize';
import { renderText } from './report/text';
import { newRunId, withEngine } from './session';
import { loadExercises } from './spec/discover';

export const STATE_RUN_ID = 'run-id';

export async function run(): Promise<void> {
  try {
    const inputs = readInputs();
    const exercises = await loadExercises(inputs.exercises);
    const runId = newRunId();
    // The post step removes whatever this run left if the job is cancelled mid-way.
    core.saveState(STATE_RUN_ID, runId);
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
        { runId, log: (line) => core.info(line) },
      ),
    );
    await publish(report, inputs.reportFile);
    if (hasInfraError(report)) {
      core.setFailed('grading did not complete: the Docker engine failed (see the log); this is not a grade');
    } else if (!report.passed && inputs.failIfNotPassed) {
      core.setFailed(`score ${report.score}/${report.maxScore}: not all checks passed`);
    }
  } catch (error) {
    fail(error);
  }
}

/**
 * Everything printed while student code runs is inside a stop-commands block with a token
 * nobody can guess, so no output line becomes a workflow command.
 */
async function inUntrustedBlock<T>(work: () => Promise<T>): Promise<T> {
  const token = newStopToken();
  process.stdout.write(`::stop-commands::${token}\n`);
  try {
    return await work();
  } finally {
    process.stdout.write(`::${token}::\n`);
  }
}

async function publish(report: GradeReport, reportFile: string): Promise<void> {
  await mkdir(path.dirname(reportFile), { recursive: true });
  await writeFile(reportFile, renderJson(report));
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(renderMarkdown(report)).write();
  core.setOutput('score', report.score);
  core.setOutput('max-score', report.maxScore);
  core.setOutput('passed', report.passed);
  core.setOutput('report', path.resolve(reportFile));
}

function fail(error: unknown): void {
  if (error instanceof SpecError) {
    for (const problem of error.problems) {
      core.error(problem.message, {
        file: problem.file,
        startLine: problem.line,
        startColumn: problem.column,
      });
    }
    core.setFailed(`the exercise specs have ${error.problems.length} problem(s); see the annotations`);
  } else if (error instanceof UsageError || error instanceof InfraError) {
    core.setFailed(error.message);
  } else {
    core.setFailed(`internal error: ${errorMessage(error)}`);
  }
}
