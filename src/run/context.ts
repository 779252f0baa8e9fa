// What steps and checks share while one exercise is graded: the engine, the resources that
// earlier steps created (by the names the exercise gives them), and the exercise's deadline.

import type { ContainerRequest, Engine } from '../engine/engine';
import { errorMessage, InfraError, type SourceLocation } from '../shared/errors';
import type { HttpClient } from '../shared/http-request';
import type { WaitConditions } from '../spec/types';
import type { SandboxPolicy } from '../steps/engine-gate';
import type { BaseImages } from './base-images';

export interface Progress {
  /** The grader's own messages. */
  info(line: string): void;
  /** A line that came from student code (build output, logs): untrusted. */
  output(line: string): void;
}

export interface RunContainer {
  id: string;
  /** The engine's name for it. */
  name: string;
  /** Container ports the step published. */
  ports: number[];
  /** How it was created, so that `recreate` can make it again with the same config and mounts. */
  request: ContainerRequest;
  wait?: WaitConditions;
}

/** How a build step built its image, so that a `build-cache` check can build it again. */
export interface BuildRecord {
  /** Absolute path of the build context. */
  contextDir: string;
  /** The Dockerfile's path relative to contextDir. */
  dockerfile: string;
  tag: string;
  buildArgs?: Record<string, string>;
  target?: string;
  /** The step's own time limit (before the exercise's deadline is applied). */
  timeoutMs: number;
}

/** What the steps of one kind made, by the step's name (the name the exercise gives it). */
export class StepRecords<T> {
  private readonly byStep = new Map<string, T>();

  add(stepName: string, record: T): void {
    this.byStep.set(stepName, record);
  }

  /** The record of the step of that name; undefined when no such step ran (or it failed). */
  get(stepName: string): T | undefined {
    return this.byStep.get(stepName);
  }

  /** The name of the first step whose record matches. */
  stepWhere(matches: (record: T) => boolean): string | undefined {
    for (const [stepName, record] of this.byStep) {
      if (matches(record)) return stepName;
    }
    return undefined;
  }
}

/**
 * The engine's names of what steps made: a step's name resolves to the engine's name for its
 * image, network or volume, and any other name is taken to be the engine's name already.
 */
export class EngineNames extends StepRecords<string> {
  resolve(name: string): string {
    return this.get(name) ?? name;
  }
}

export class Resources {
  /** The containers run steps started. */
  readonly containers = new StepRecords<RunContainer>();
  /** Build steps' image references. */
  readonly images = new EngineNames();
  /** How each build step that succeeded built its image. */
  readonly builds = new StepRecords<BuildRecord>();
  readonly networks = new EngineNames();
  readonly volumes = new EngineNames();
  /** Compose projects this exercise started; their services are addressable by service name. */
  readonly composeProjects: string[] = [];

  /** Teardowns steps register (e.g. `compose down`); run at the end of the exercise, newest first. */
  readonly teardowns: Array<() => Promise<void>> = [];
}

export interface RunContext {
  /** The exercise's `id` (e.g. images/flask-app); keys the quiz answers' hashes. */
  exerciseId: string;
  engine: Engine;
  http: HttpClient;
  resources: Resources;
  /** Absolute path of the student's repository (what `submission` paths are relative to). */
  submissionRoot: string;
  /** Absolute path of the student's submission folder for this exercise. */
  submissionDir: string;
  /** Label scope for this exercise's resources, and a prefix for their names. */
  scope: string;
  /** Epoch ms by which the exercise must be done. */
  deadline: number;
  /** What the exercise's `policy:` allows students' docker commands beyond the defaults. */
  policy?: SandboxPolicy;
  /**
   * Exercises graded at the same time by this process (this one included), which share the
   * host's aggregate budget for students' containers (src/proxy/budget.ts). 1 when unknown.
   */
  concurrentExercises?: number;
  /** The ids of the base images the exercise names, pinned before its first step (base-images.ts). */
  baseImages?: BaseImages;
  progress: Progress;
  now(): number;
}

/** Bytes of one step's untrusted output shown in the log; the rest is summarised in one line. */
export const SHOWN_OUTPUT_BYTES = 1024 * 1024;

/**
 * Forwards lines of student output to the progress log until `maxBytes` were shown, then says
 * once that the rest is not shown: a build or script printing gigabytes must not flood the log.
 */
export function shownOutput(progress: Progress, maxBytes = SHOWN_OUTPUT_BYTES): (line: string) => void {
  let shown = 0;
  let silenced = false;
  return (line) => {
    if (silenced) return;
    shown += Buffer.byteLength(line) + 1;
    if (shown <= maxBytes) {
      progress.output(line);
    } else {
      silenced = true;
      progress.info(`  (more output not shown: over ${Math.round(maxBytes / 1024)} KiB)`);
    }
  };
}

/** The smaller of a requested timeout and the time left before the exercise's deadline. */
export function remainingMs(context: RunContext, requestedMs: number): number {
  return Math.max(0, Math.min(requestedMs, context.deadline - context.now()));
}

/** A failure the student caused (or can fix): reported as a failed step or check, not an error. */
export interface Failure {
  message: string;
  expected?: string;
  actual?: string;
  /** Tail of the step's output. */
  log?: string;
  /**
   * The first line of the step's whole output that names what went wrong (steps/text.ts
   * firstErrorLine), when the message does not say it already: the cause, where `log` ends with
   * its effects.
   */
  firstError?: string;
  location?: SourceLocation;
}

/**
 * The engine refused a request of a step or check: that is the student's failure, described as
 * `what: reason`. An InfraError is the engine failing, and goes on up.
 */
export function refusal(what: string, error: unknown): Failure {
  if (error instanceof InfraError) throw error;
  return { message: `${what}: ${errorMessage(error)}` };
}
