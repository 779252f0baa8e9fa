// Fakes of what the action reaches outside itself (src/action/core.ts): a runner that records
// every call, a GitHub client factory that counts its clients, an engine session on a FakeEngine;
// and a fresh local fake of GitHub's REST API for each test.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import type { ActionCore, ActionDeps, AnnotationPlace } from '../../../src/action/core';
import { createClient } from '../../../src/github/client';
import type { SessionOptions } from '../../../src/grading/session';
import { FakeEngine } from '../../support/fake-engine';
import { FakeGitHub, GITHUB_ACTIONS_BOT } from '../../support/fake-github/server';

export interface RecordedAnnotation {
  level: 'error' | 'warning';
  message: string;
  place?: AnnotationPlace;
}

export class RecordingCore implements ActionCore {
  /** What getInput answers, by input name. */
  readonly inputs: Record<string, string> = {};
  readonly state = new Map<string, string>();
  readonly outputs: Record<string, string | number | boolean> = {};
  readonly log: string[] = [];
  readonly annotations: RecordedAnnotation[] = [];
  readonly failures: string[] = [];
  readonly summaries: string[] = [];
  exitCode: number | undefined;

  getInput(name: string): string {
    return this.inputs[name] ?? '';
  }
  getState(name: string): string {
    return this.state.get(name) ?? '';
  }
  saveState(name: string, value: string): void {
    this.state.set(name, value);
  }
  setOutput(name: string, value: string | number | boolean): void {
    this.outputs[name] = value;
  }
  info(message: string): void {
    this.log.push(message);
  }
  warning(message: string, place?: AnnotationPlace): void {
    this.annotations.push({ level: 'warning', message, ...(place === undefined ? {} : { place }) });
  }
  error(message: string, place?: AnnotationPlace): void {
    this.annotations.push({ level: 'error', message, ...(place === undefined ? {} : { place }) });
  }
  setFailed(message: string): void {
    this.failures.push(message);
    this.exitCode = 1;
  }
  setExitCode(code: number): void {
    this.exitCode = code;
  }
  async appendSummary(markdown: string): Promise<void> {
    this.summaries.push(markdown);
  }
}

export interface FakeDeps extends ActionDeps {
  core: RecordingCore;
  engine: FakeEngine;
  /** The sessions' options, in order. */
  sessions: SessionOptions[];
  /** The API URLs clients were made for, in order. */
  clientsMade: string[];
}

/** The fake runner, a session on `engine`, and real clients of whatever API URL is asked for. */
export function fakeDeps(engine = new FakeEngine()): FakeDeps {
  const deps: FakeDeps = {
    core: new RecordingCore(),
    engine,
    sessions: [],
    clientsMade: [],
    connectGitHub: (token, apiUrl) => {
      deps.clientsMade.push(apiUrl);
      return createClient(token, apiUrl);
    },
    withEngine: (run, options) => {
      deps.sessions.push(options);
      return run(engine);
    },
  };
  return deps;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `action-${prefix}-`));
}

/** A file `name` with `text` in a fresh folder; its path. */
export function tempFile(name: string, text: string): string {
  const file = path.join(tempDir('file'), name);
  writeFileSync(file, text);
  return file;
}

/**
 * A fresh fake of GitHub's API (course/submission) for each test of the file, checked for
 * requests that break GitHub's description after it. Its tokens act as github-actions[bot]:
 * `workflow` can write, `readonly` (a fork's pull_request token) cannot.
 */
export function fakeGitHubPerTest(): () => FakeGitHub {
  let github: FakeGitHub | undefined;
  beforeEach(async () => {
    github = await FakeGitHub.start('course', 'submission');
    github.tokens.set('workflow', { user: GITHUB_ACTIONS_BOT, installation: true, canWrite: true });
    github.tokens.set('readonly', { user: GITHUB_ACTIONS_BOT, installation: true, canWrite: false });
  });
  afterEach(async () => {
    await github?.close();
    expect(github?.violations).toEqual([]);
  });
  return () => {
    if (github === undefined) throw new Error('the fake GitHub starts before each test');
    return github;
  };
}
