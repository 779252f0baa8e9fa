// Publish mode: reads a grade job's artifact (untrusted) from a `workflow_run`, checks it against
// what GitHub says, finds the pull request through the API and comments and annotates there.
import { readArtifact, UntrustedArtifactError } from '../github/artifact';
import type { Repository } from '../github/context';
import { pullRequestsForCommit } from '../github/pull-request';
import { defangWorkflowCommands } from '../report/sanitize';
import { renderText } from '../report/text';
import { UsageError } from '../shared/errors';
import type { ActionMode } from './core';
import { feedback } from './feedback/feedback';
import { inUntrustedBlock } from './untrusted-block';

export const publishMode: ActionMode = async (inputs, context, outputs, deps) => {
  const { core } = deps;
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
  await inUntrustedBlock(core, async () => {
    core.info(`grade from the artifact of ${workflowRun.htmlUrl ?? `workflow run ${workflowRun.id}`}:`);
    core.info(defangWorkflowCommands(renderText(report)));
  });
  if (inputs.token === '') throw new UsageError('mode "publish" needs the input "github-token"');

  const client = await deps.connectGitHub(inputs.token, context.apiUrl);
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
  outputs.grade(report, artifact.reportFile);
  const workspace = metadata.workspace ?? context.workspace;
  await feedback(
    report,
    inputs,
    context,
    deps,
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
};

function fullName(repository: Repository): string {
  return `${repository.owner}/${repository.repo}`;
}
