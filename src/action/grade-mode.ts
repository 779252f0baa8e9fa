// Grade mode (the default): inputs -> grade -> report file, outputs, feedback (job summary,
// annotations, sticky comment and check run when the token can write), and optionally an
// artifact folder for a publish job.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeArtifact } from '../github/artifact';
import { grade } from '../grading/grade';
import { interrupted, outcomeOfReport } from '../grading/outcome';
import { newRunId, watchdogMs } from '../grading/session';
import { renderJson } from '../report/json';
import type { GradeReport } from '../report/model';
import { defangWorkflowCommands, stripUnsafe } from '../report/sanitize';
import { renderText } from '../report/text';
import { UsageError } from '../shared/errors';
import { loadExercises } from '../spec/discover';
import type { ActionDeps, ActionMode } from './core';
import { endStep } from './failure';
import { feedback } from './feedback/feedback';
import type { Inputs } from './inputs';
import type { Outputs } from './outputs';
import { STATE_DOCKER_HOST, STATE_RUN_ID } from './state';
import { inUntrustedBlock } from './untrusted-block';

export const gradeMode: ActionMode = async (inputs, context, outputs, deps) => {
  const { core } = deps;
  const report = await gradeOnEngine(inputs, outputs, deps);
  await mkdir(path.dirname(inputs.reportFile), { recursive: true });
  await writeFile(inputs.reportFile, renderJson(report));
  outputs.grade(report, inputs.reportFile);

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

  await feedback(report, inputs, context, deps, {
    pullRequests: context.pullRequest === undefined ? [] : [context.pullRequest.number],
    headSha,
    runUrl: context.runUrl,
    paths: { workspace: context.workspace, cwd: process.cwd() },
    annotations: inputs.annotations === 'auto' ? 'commands' : inputs.annotations,
    // A grade is worth more than its comment: API failures here are warnings.
    strict: false,
    trustedGrade: true,
  });

  const outcome = outcomeOfReport(report);
  if (outcome.kind === 'not-passed' && !inputs.failIfNotPassed) return;
  endStep(core, outcome);
};

/** The grading itself, its output inside the untrusted block. */
async function gradeOnEngine(inputs: Inputs, outputs: Outputs, deps: ActionDeps): Promise<GradeReport> {
  const { core } = deps;
  const exercises = await loadExercises(inputs.exercises);
  const runId = newRunId();
  // The post step removes whatever this run left if the job is cancelled mid-way.
  core.saveState(STATE_RUN_ID, runId);
  core.saveState(STATE_DOCKER_HOST, inputs.dockerHost);
  return inUntrustedBlock(core, () =>
    deps.withEngine(
      async (engine) => {
        const graded = await grade(exercises, {
          engine,
          submissionRoot: inputs.submission,
          progress: {
            info: (line) => core.info(line),
            output: (line) => core.info(`  | ${defangWorkflowCommands(stripUnsafe(line))}`),
          },
        });
        core.info('');
        core.info(defangWorkflowCommands(renderText(graded)));
        return graded;
      },
      {
        runId,
        host: inputs.dockerHost,
        log: (line) => core.info(line),
        watchdogMs: watchdogMs(exercises),
        // The process exits right after: the outputs Classroom's reporter reads must be there.
        onAbandon: (reason) => {
          outputs.error(reason);
          endStep(core, interrupted(reason));
        },
      },
    ),
  );
}
