import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const ROOT = path.resolve(__dirname, '../..');
export const EXAMPLE = path.join(ROOT, 'exercises/images/flask-app');
export const CLI = path.join(ROOT, 'dist/cli/index.js');
export const ACTION = path.join(ROOT, 'dist/index.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a bundled entry point as a user (or the runner) would: a separate node process. */
export function runNode(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd = ROOT,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `${prefix}-`));
}

const execFileAsync = promisify(execFile);

/** Resources on the engine carrying a label key (or key=value), by the docker CLI. */
export async function labelled(filter: string): Promise<string[]> {
  const ids: string[] = [];
  for (const kind of [
    ['ps', '-a'],
    ['network', 'ls'],
    ['volume', 'ls'],
    ['image', 'ls'],
  ]) {
    const { stdout } = await execFileAsync('docker', [...kind, '-q', '--filter', `label=${filter}`]);
    ids.push(...stdout.split('\n').filter(Boolean));
  }
  return ids;
}
