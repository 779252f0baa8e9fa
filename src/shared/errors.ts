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

/**
 * What kind of engine or machine fault an InfraError is: `unreachable` (no daemon, or it died),
 * `timeout` (it stopped answering), `api-version` (too old), `port-taken` (a host port is used
 * outside the run), `bridge-missing` (the default bridge network is broken), `engine` (other).
 */
export type InfraFault =
  | 'unreachable'
  | 'timeout'
  | 'api-version'
  | 'port-taken'
  | 'bridge-missing'
  | 'engine';

/** The engine or the machine failed, not the student: exit code 3, never a 0 grade. */
export class InfraError extends Error {
  override name = 'InfraError';
  constructor(
    message: string,
    readonly fault: InfraFault = 'engine',
  ) {
    super(message);
  }
}

/** What a user is told a fault means, ahead of the daemon's own words. */
export const FAULT_MEANING: Record<InfraFault, string> = {
  unreachable: 'the Docker engine cannot be reached',
  timeout: 'the Docker engine stopped answering',
  'api-version': "the Docker engine's API version is too old for the grader",
  'port-taken': 'a host port the run needs is already used by something outside this run',
  'bridge-missing': "the Docker engine's default bridge network is missing or broken",
  engine: 'the Docker engine failed',
};

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
