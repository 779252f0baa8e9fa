// What steps and checks share while one exercise is graded: the engine, the resources that
// earlier steps created (by the names the exercise gives them), and the exercise's deadline.

import type { Engine } from '../engine/engine';
import type { SourceLocation } from '../errors';
import type { HttpClient } from '../http/request';

export interface Progress {
  /** The grader's own messages. */
  info(line: string): void;
  /** A line that came from student code (build output, logs): untrusted. */
  output(line: string): void;
}

export interface RunContainer {
  id: string;
  name: string;
  /** Container ports the step published. */
  ports: number[];
}

export class Resources {
  private readonly containers = new Map<string, RunContainer>();
  private readonly images = new Map<string, string>();

  addContainer(stepName: string, container: RunContainer): void {
    this.containers.set(stepName, container);
  }

  container(stepName: string): RunContainer | undefined {
    return this.containers.get(stepName);
  }

  addImage(stepName: string, ref: string): void {
    this.images.set(stepName, ref);
  }

  /** A build step's image, or else the name itself as an image reference. */
  imageRef(name: string): string {
    return this.images.get(name) ?? name;
  }
}

export interface RunContext {
  engine: Engine;
  http: HttpClient;
  resources: Resources;
  /** Absolute path of the student's submission folder for this exercise. */
  submissionDir: string;
  /** Label scope for this exercise's resources, and a prefix for their names. */
  scope: string;
  /** Epoch ms by which the exercise must be done. */
  deadline: number;
  progress: Progress;
  now(): number;
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
  log?: string;
  location?: SourceLocation;
}
