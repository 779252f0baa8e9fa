// Grading the abuse tests' inline exercises through grade(): `abuse/<id>` exercises, what the
// student's script printed, and the file's gradings remembered so that its afterAll can expect
// that none of them left anything on the engine.
import { expect } from 'vitest';
import {
  FILLER_CHECK,
  type Graded,
  gradeInline,
  leftovers,
  removeTempDirs,
  type SubmissionFile,
} from './inline-grading';

/** The YAML of an exercise `abuse/<id>` of these steps and checks (YAML lines); by default the busybox check. */
export function abuseExercise(
  id: string,
  steps: string[],
  checks: string[] = FILLER_CHECK.split('\n').filter(Boolean),
): string {
  return ['version: 1', `id: abuse/${id}`, `title: ${id}`, 'steps:', ...steps, 'checks:', ...checks, ''].join(
    '\n',
  );
}

/** A script file's text: its lines, each ended. */
export function script(...lines: string[]): string {
  return [...lines, ''].join('\n');
}

/** The lines the student's script printed (the log's lines marked "| "), without the mark. */
export function printed(graded: Graded): string[] {
  return graded.log.filter((line) => line.startsWith('| ')).map((line) => line.slice(2));
}

/** A test file's gradings: stop() (in afterAll) expects that none of them left anything behind. */
export class Gradings {
  private readonly runIds: string[] = [];

  async grade(
    yaml: string,
    files: Record<string, SubmissionFile>,
    options: Parameters<typeof gradeInline>[2] = {},
  ): Promise<Graded> {
    const graded = await gradeInline(yaml, files, options);
    this.runIds.push(graded.runId);
    return graded;
  }

  /** Removes the submissions' folders; expects nothing of any grading's run on the engine. */
  async stop(): Promise<void> {
    removeTempDirs();
    for (const runId of this.runIds) expect(await leftovers(runId)).toEqual([]);
  }
}
