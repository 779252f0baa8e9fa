// The hand-over between the two halves of grading a fork's pull request. The grade job (no write
// token) writes the report and what it knows about the pull request into a folder, uploaded as
// an artifact; the publish job (run by `workflow_run` with a write token) reads it back.
//
// Whoever opened the pull request controls the grade job, so everything read here is untrusted:
// files are size-capped and must be plain files, the report must validate against
// schema/report.schema.json and add up, and the metadata is only ever compared with what GitHub
// says (the pull request is looked up through the API from the workflow_run's head commit).
import { constants } from 'node:fs';
import { lstat, mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Ajv from 'ajv';
import reportSchema from '../../schema/report.schema.json';
import { renderJson } from '../report/json';
import {
  type ExerciseResult,
  exerciseResult,
  type GradeReport,
  gradeReport,
  redactHidden,
} from '../report/model';
import { isCommitSha, parseRepository } from './context';

export const REPORT_FILE = 'report.json';
export const METADATA_FILE = 'pull-request.json';

export const MAX_REPORT_BYTES = 16 * 1024 * 1024;
const MAX_METADATA_BYTES = 16 * 1024;
const MAX_EXERCISES = 500;
const MAX_CHECKS = 5_000;

export interface ArtifactMetadata {
  version: 1;
  /** owner/name of the repository the pull request targets. */
  repository: string;
  /** The pull request the grade job believed it graded (checked, never trusted). */
  pullRequest?: number;
  /** The commit that was graded. */
  headSha: string;
  /** GITHUB_WORKSPACE of the grade job, to make the report's paths relative. */
  workspace?: string;
}

/** The artifact is not one this grader can publish; the message says why. */
export class UntrustedArtifactError extends Error {
  override name = 'UntrustedArtifactError';
}

/** Writes the artifact folder. Hidden checks lose their details: anyone may download it. */
export async function writeArtifact(
  dir: string,
  report: GradeReport,
  metadata: ArtifactMetadata,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, REPORT_FILE), renderJson(redactHidden(report)));
  await writeFile(path.join(dir, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
}

export interface Artifact {
  report: GradeReport;
  metadata: ArtifactMetadata;
  reportFile: string;
}

const ajv = new Ajv({ allErrors: false, strict: true });
const validateReport = ajv.compile<GradeReport>(reportSchema);

export async function readArtifact(dir: string): Promise<Artifact> {
  const reportFile = path.join(dir, REPORT_FILE);
  const metadata = parseMetadata(await readCapped(path.join(dir, METADATA_FILE), MAX_METADATA_BYTES));
  const report = parseReport(await readCapped(reportFile, MAX_REPORT_BYTES));
  return { report, metadata, reportFile };
}

function parseMetadata(text: string): ArtifactMetadata {
  const value = parseJson(text, METADATA_FILE);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UntrustedArtifactError(`${METADATA_FILE} is not a JSON object`);
  }
  const fields = value as Record<string, unknown>;
  const { version, repository, pullRequest, headSha, workspace } = fields;
  if (version !== 1) throw new UntrustedArtifactError(`${METADATA_FILE}: unsupported version`);
  if (typeof repository !== 'string' || parseRepository(repository) === undefined) {
    throw new UntrustedArtifactError(`${METADATA_FILE}: "repository" is not owner/name`);
  }
  if (!isCommitSha(headSha))
    throw new UntrustedArtifactError(`${METADATA_FILE}: "headSha" is not a commit SHA`);
  const metadata: ArtifactMetadata = { version: 1, repository, headSha };
  if (pullRequest !== undefined) {
    if (typeof pullRequest !== 'number' || !Number.isSafeInteger(pullRequest) || pullRequest < 1) {
      throw new UntrustedArtifactError(`${METADATA_FILE}: "pullRequest" is not a pull request number`);
    }
    metadata.pullRequest = pullRequest;
  }
  if (workspace !== undefined) {
    if (typeof workspace !== 'string' || workspace.length > 1_000 || !path.isAbsolute(workspace)) {
      throw new UntrustedArtifactError(`${METADATA_FILE}: "workspace" is not an absolute path`);
    }
    metadata.workspace = workspace;
  }
  const unknown = Object.keys(fields).filter(
    (key) => !['version', 'repository', 'pullRequest', 'headSha', 'workspace'].includes(key),
  );
  if (unknown.length > 0) throw new UntrustedArtifactError(`${METADATA_FILE}: unknown key "${unknown[0]}"`);
  return metadata;
}

function parseReport(text: string): GradeReport {
  const value = parseJson(text, REPORT_FILE);
  if (!validateReport(value)) {
    const first = validateReport.errors?.[0];
    const where = first === undefined ? '' : ` at ${first.instancePath || '/'}: ${first.message ?? ''}`;
    throw new UntrustedArtifactError(`${REPORT_FILE} does not match schema/report.schema.json${where}`);
  }
  const checks = value.exercises.reduce((count, exercise) => count + exercise.checks.length, 0);
  if (value.exercises.length > MAX_EXERCISES || checks > MAX_CHECKS) {
    throw new UntrustedArtifactError(`${REPORT_FILE} has more exercises or checks than any grade has`);
  }
  // Totals are derived data: recomputing them means the comment can never show a score that its
  // own table contradicts.
  const exercises = value.exercises.map((exercise): ExerciseResult => {
    const { score: _score, maxScore: _maxScore, status, ...rest } = exercise;
    const recomputed = exerciseResult({ ...rest, infraError: status === 'error' });
    if (
      recomputed.score !== exercise.score ||
      recomputed.maxScore !== exercise.maxScore ||
      recomputed.status !== status
    ) {
      throw new UntrustedArtifactError(
        `${REPORT_FILE}: the totals of exercise "${exercise.id.slice(0, 100)}" do not add up`,
      );
    }
    if (exercise.checks.some((check) => check.points > check.maxPoints)) {
      throw new UntrustedArtifactError(
        `${REPORT_FILE}: a check of "${exercise.id.slice(0, 100)}" has more points than it is worth`,
      );
    }
    return recomputed;
  });
  const report = gradeReport(exercises, value.durationMs);
  if (report.score !== value.score || report.maxScore !== value.maxScore || report.passed !== value.passed) {
    throw new UntrustedArtifactError(`${REPORT_FILE}: the report's totals do not add up`);
  }
  return report;
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UntrustedArtifactError(`${name} is not valid JSON`);
  }
}

/** A regular file (not a link, FIFO or device) of at most `maxBytes`, read as UTF-8. */
async function readCapped(file: string, maxBytes: number): Promise<string> {
  const name = path.basename(file);
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(file);
  } catch {
    throw new UntrustedArtifactError(`the artifact has no ${name}`);
  }
  if (!stats.isFile()) throw new UntrustedArtifactError(`${name} in the artifact is not a regular file`);
  if (stats.size > maxBytes) throw new UntrustedArtifactError(`${name} is larger than ${maxBytes} bytes`);
  // O_NOFOLLOW: the file cannot be swapped for a link between the check above and the read.
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw new UntrustedArtifactError(`${name} is larger than ${maxBytes} bytes`);
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    await handle.close();
  }
}
