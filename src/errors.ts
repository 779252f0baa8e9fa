// The three kinds of failure a user must tell apart, each with its own exit code.

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface SpecProblem extends SourceLocation {
  message: string;
}

/** The exercise spec (or the command line) is wrong: exit code 2, nothing is run. */
export class SpecError extends Error {
  constructor(readonly problems: SpecProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'SpecError';
  }
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The engine or the machine failed, not the student: exit code 3, never a 0 grade. */
export class InfraError extends Error {
  override name = 'InfraError';
}

/**
 * The engine refused a request (HTTP 4xx/5xx): the engine works, and what was asked of it is
 * wrong, which is usually the student's doing (exec in a restarting container, a bad command).
 */
export class DockerApiError extends Error {
  override name = 'DockerApiError';
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

export function formatProblem(problem: SpecProblem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const ExitCode = {
  passed: 0,
  notPassed: 1,
  badInput: 2,
  infrastructure: 3,
} as const;
