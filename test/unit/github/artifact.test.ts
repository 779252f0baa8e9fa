// The artifact a fork's grade job leaves for the publish job is untrusted: every way it can be
// wrong is refused with a clear reason.
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ArtifactMetadata,
  METADATA_FILE,
  REPORT_FILE,
  readArtifact,
  UntrustedArtifactError,
  writeArtifact,
} from '../../../src/github/artifact';
import { renderJson } from '../../../src/report/json';
import type { GradeReport } from '../../../src/report/model';
import { checkResult as check, singleExerciseReport } from '../../support/report-fixtures';

const SHA = 'abcdefabcdefabcdefabcdefabcdefabcdefabcd';

function report(): GradeReport {
  return singleExerciseReport({
    id: 'a/b',
    title: 'A',
    specFile: '/ws/a/exercise.yaml',
    durationMs: 3,
    checks: [
      check({ name: 'ok', status: 'pass', points: 2, maxPoints: 2 }),
      check({ name: 'no', status: 'fail', expected: 'x', actual: 'y' }),
      check({ name: 'secret', status: 'fail', message: 'SECRET', hint: 'SECRET', hidden: true }),
    ],
  });
}

const METADATA: ArtifactMetadata = {
  version: 1,
  repository: 'course/submission',
  pullRequest: 7,
  headSha: SHA,
  workspace: '/ws',
};

async function artifact(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'artifact-'));
  await writeArtifact(dir, report(), METADATA);
  return dir;
}

async function refusal(dir: string): Promise<string> {
  try {
    await readArtifact(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(UntrustedArtifactError);
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('the artifact was accepted');
}

function edit(dir: string, file: string, change: (value: Record<string, unknown>) => void): void {
  const value = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
  change(value);
  writeFileSync(path.join(dir, file), JSON.stringify(value));
}

describe('writeArtifact and readArtifact', () => {
  it('round-trips the grade, with hidden checks redacted', async () => {
    const dir = await artifact();
    const { report: read, metadata, reportFile } = await readArtifact(dir);
    expect(metadata).toEqual(METADATA);
    expect(reportFile).toBe(path.join(dir, REPORT_FILE));
    expect(read.score).toBe(2);
    expect(read.maxScore).toBe(4);
    expect(read.exercises[0]?.checks[2]).toEqual({
      name: 'secret',
      status: 'fail',
      points: 0,
      maxPoints: 1,
      message: '',
      hidden: true,
    });
    expect(readFileSync(path.join(dir, REPORT_FILE), 'utf8')).not.toContain('SECRET');
  });

  it.each<[string, (dir: string) => void, RegExp]>([
    ['a missing report', (dir) => writeFileSync(path.join(dir, REPORT_FILE), ''), /not valid JSON/],
    [
      'a report with an unknown key',
      (dir) => edit(dir, REPORT_FILE, (value) => Object.assign(value, { extra: 1 })),
      /does not match schema\/report.schema.json at \/: must NOT have additional properties/,
    ],
    [
      'a report with a bad status',
      (dir) =>
        edit(dir, REPORT_FILE, (value) => {
          const exercises = value.exercises as Array<{ checks: Array<{ status: string }> }>;
          const first = exercises[0]?.checks[0];
          if (first) first.status = 'excellent';
        }),
      /does not match schema/,
    ],
    [
      'inflated totals',
      (dir) => edit(dir, REPORT_FILE, (value) => Object.assign(value, { score: 4, passed: true })),
      /the report's totals do not add up/,
    ],
    [
      'an exercise whose score is not the sum of its checks',
      (dir) =>
        edit(dir, REPORT_FILE, (value) => {
          const exercises = value.exercises as Array<{ score: number }>;
          if (exercises[0]) exercises[0].score = 4;
        }),
      /the totals of exercise "a\/b" do not add up/,
    ],
    [
      'a check worth more points than it has',
      (dir) =>
        edit(dir, REPORT_FILE, (value) => {
          const exercises = value.exercises as Array<{ score: number; checks: Array<{ points: number }> }>;
          const exercise = exercises[0];
          const first = exercise?.checks[1];
          if (exercise && first) {
            first.points = 5;
            exercise.score = 7;
          }
          Object.assign(value, { score: 7 });
        }),
      /do not add up|more points than it is worth/,
    ],
    [
      'metadata with a bad SHA',
      (dir) => edit(dir, METADATA_FILE, (value) => Object.assign(value, { headSha: 'main' })),
      /"headSha" is not a commit SHA/,
    ],
    [
      'metadata with a bad repository',
      (dir) => edit(dir, METADATA_FILE, (value) => Object.assign(value, { repository: '../x' })),
      /"repository" is not owner\/name/,
    ],
    [
      'metadata with a bad pull request number',
      (dir) => edit(dir, METADATA_FILE, (value) => Object.assign(value, { pullRequest: '7' })),
      /"pullRequest" is not a pull request number/,
    ],
    [
      'metadata with a relative workspace',
      (dir) => edit(dir, METADATA_FILE, (value) => Object.assign(value, { workspace: 'ws' })),
      /"workspace" is not an absolute path/,
    ],
    [
      'metadata with an unknown key',
      (dir) => edit(dir, METADATA_FILE, (value) => Object.assign(value, { comment: 'hi' })),
      /unknown key "comment"/,
    ],
    [
      'metadata of another version',
      (dir) => edit(dir, METADATA_FILE, (value) => Object.assign(value, { version: 2 })),
      /unsupported version/,
    ],
    [
      'metadata that is not an object',
      (dir) => writeFileSync(path.join(dir, METADATA_FILE), '[]'),
      /not a JSON object/,
    ],
    [
      'oversized metadata',
      (dir) => writeFileSync(path.join(dir, METADATA_FILE), ' '.repeat(17 * 1024)),
      /larger than 16384 bytes/,
    ],
    [
      'an oversized report',
      (dir) => writeFileSync(path.join(dir, REPORT_FILE), ' '.repeat(16 * 1024 * 1024 + 1)),
      /report.json is larger than/,
    ],
    [
      'a report that is a symbolic link',
      (dir) => {
        const elsewhere = path.join(dir, 'elsewhere.json');
        writeFileSync(elsewhere, renderJson(report()));
        const link = path.join(dir, REPORT_FILE);
        rmSync(link);
        symlinkSync(elsewhere, link);
      },
      /report.json in the artifact is not a regular file/,
    ],
    [
      'a report that is a folder',
      (dir) => {
        rmSync(path.join(dir, REPORT_FILE));
        mkdirSync(path.join(dir, REPORT_FILE));
      },
      /not a regular file/,
    ],
    ['no metadata', (dir) => rmSync(path.join(dir, METADATA_FILE)), /the artifact has no pull-request.json/],
  ])('refuses %s', async (_name, damage, reason) => {
    const dir = await artifact();
    damage(dir);
    expect(await refusal(dir)).toMatch(reason);
  });

  it('refuses a report with more checks than any grade has', async () => {
    const dir = await artifact();
    const many = singleExerciseReport({
      id: 'x',
      title: 'X',
      specFile: 'x.yaml',
      durationMs: 1,
      checks: Array.from({ length: 5_001 }, (_, i) => check({ name: `c${i}`, status: 'pass' })),
    });
    writeFileSync(path.join(dir, REPORT_FILE), renderJson(many));
    expect(await refusal(dir)).toMatch(/more exercises or checks/);
  });
});
