// The action's ways out of itself: the runner (the few calls of @actions/core it makes), GitHub's
// API and the Docker engine. index.ts passes the real ones (actions-core.ts, createClient,
// withEngine); the unit tests pass fakes, so grade mode, publish mode and feedback run without a
// runner, GitHub or an engine.
import type { Engine } from '../engine/engine';
import type { GitHubClient } from '../github/client';
import type { GitHubContext } from '../github/context';
import type { SessionOptions } from '../grading/session';
import type { Inputs } from './inputs';
import type { Outputs } from './outputs';

/** Where an annotation points; without a file it is shown on the step alone. */
export interface AnnotationPlace {
  title?: string;
  file?: string;
  startLine?: number;
  startColumn?: number;
}

/** The runner, as the action speaks to it: inputs, state, outputs, the log, the step's result. */
export interface ActionCore {
  getInput(name: string): string;
  getState(name: string): string;
  saveState(name: string, value: string): void;
  setOutput(name: string, value: string | number | boolean): void;
  /** A line of the log. */
  info(message: string): void;
  /** A warning annotation (with a place) or a warning in the log. */
  warning(message: string, place?: AnnotationPlace): void;
  /** An error annotation (with a place) or an error in the log. */
  error(message: string, place?: AnnotationPlace): void;
  /** Fails the step with this message (exit code 1 unless setExitCode says otherwise). */
  setFailed(message: string): void;
  setExitCode(code: number): void;
  /** Appends Markdown to the job summary, when the runner gives one. */
  appendSummary(markdown: string): Promise<void>;
}

export interface ActionDeps {
  core: ActionCore;
  /** A client of GitHub's REST API (src/github/client.ts createClient). */
  connectGitHub: (token: string, apiUrl: string) => Promise<GitHubClient>;
  /** A grading session on the engine (src/grading/session.ts withEngine). */
  withEngine: <T>(run: (engine: Engine) => Promise<T>, options: SessionOptions) => Promise<T>;
}

/** A mode of the main step (grade-mode.ts, publish-mode.ts). */
export type ActionMode = (
  inputs: Inputs,
  context: GitHubContext,
  outputs: Outputs,
  deps: ActionDeps,
) => Promise<void>;
