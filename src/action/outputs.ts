// The action's outputs, for the workflow's later steps and GitHub Classroom's reporter.
import path from 'node:path';
import { renderClassroom, renderClassroomError } from '../report/classroom';
import type { GradeReport } from '../report/model';
import type { ActionCore } from './core';

/** One run's outputs: `result` holds a grade once set, and a later failure never overwrites it. */
export class Outputs {
  private resultSet = false;

  constructor(private readonly core: ActionCore) {}

  /** Numbers, booleans, a path the action chose and base64: nothing a student wrote. */
  grade(report: GradeReport, reportFile: string): void {
    this.core.setOutput('score', report.score);
    this.core.setOutput('max-score', report.maxScore);
    this.core.setOutput('passed', report.passed);
    this.core.setOutput('report', path.resolve(reportFile));
    this.core.setOutput('result', renderClassroom(report));
    this.resultSet = true;
  }

  /**
   * `result` when no grade exists (the engine failed before one did, the run was interrupted):
   * Classroom's status error, never empty, since its reporter crashes on an empty variable.
   */
  error(reason: string): void {
    if (this.resultSet) return;
    this.core.setOutput('result', renderClassroomError(reason));
    this.resultSet = true;
  }
}
