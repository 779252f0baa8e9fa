// engine/wire: the Engine API's formats (JSON, tar, progress streams) read and written; no daemon calls.
//
// Turns a student's build context directory into the tar stream the Engine API's /build takes.
// The whole context is checked BEFORE anything is uploaded: the daemon would happily receive a
// 2 GB context, a FIFO would hang the packer, and a symlink out of the context is at best a
// confusing build and at worst a probe of the grader's disk.

import type { Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import dockerignore from '@balena/dockerignore';
import tar from 'tar-fs';
import { isInside, specialKind } from '../../shared/paths';

export interface ContextLimits {
  /** Sum of the sizes of the files sent; default 200 MiB. */
  maxBytes?: number;
  /** Files, directories and symlinks sent; default 20,000. */
  maxFiles?: number;
}

export interface PackedContext {
  /** The tar stream; read it once. Destroy it if the upload is abandoned. */
  stream: Readable;
  /** The Dockerfile's path inside the context, with forward slashes, as /build wants it. */
  dockerfile: string;
  files: number;
  bytes: number;
}

/** The context cannot be sent as it is: the student's to fix, not an infrastructure fault. */
export class BuildContextError extends Error {
  override name = 'BuildContextError';
}

export const DEFAULT_MAX_CONTEXT_BYTES = 200 * 1024 * 1024;
export const DEFAULT_MAX_CONTEXT_FILES = 20_000;

/** Fixed so that the same sources give the same tar, and the builder's cache keeps working. */
const NORMALISED_MTIME = new Date('2000-01-01T00:00:00Z');

type PackOptions = tar.PackOptions & { umask?: number };

export async function packBuildContext(
  contextDir: string,
  dockerfile: string,
  limits: ContextLimits = {},
): Promise<PackedContext> {
  const root = await contextRoot(contextDir);
  const dockerfileRel = await checkDockerfile(root, dockerfile);
  const rules = await readIgnoreRules(root);
  const walker = new ContextWalker(root, rules, dockerfileRel, {
    maxBytes: limits.maxBytes ?? DEFAULT_MAX_CONTEXT_BYTES,
    maxFiles: limits.maxFiles ?? DEFAULT_MAX_CONTEXT_FILES,
  });
  await walker.walk('');
  const options: PackOptions = {
    entries: walker.entries,
    // Every accepted path is listed in `entries`; this stops tar-fs from adding the
    // children of listed directories on its own, which would bypass the checks above.
    ignore: () => true,
    map: normaliseHeader,
    // Modes as they are on disk, like the docker CLI, not shaped by this process's umask.
    umask: 0,
  };
  // tar-fs makes a streamx stream; wrapping it gives callers a genuine Node.js Readable.
  const stream = Readable.from(tar.pack(root, options), { objectMode: false });
  return { stream, dockerfile: dockerfileRel, files: walker.files, bytes: walker.bytes };
}

function normaliseHeader(header: tar.Headers): tar.Headers {
  return { ...header, uid: 0, gid: 0, mtime: NORMALISED_MTIME };
}

async function contextRoot(contextDir: string): Promise<string> {
  let root: string;
  try {
    root = await realpath(contextDir);
  } catch {
    throw new BuildContextError(`build context directory ${quote(contextDir)} does not exist`);
  }
  const stats = await lstat(root);
  if (!stats.isDirectory()) {
    throw new BuildContextError(`build context ${quote(contextDir)} is not a directory`);
  }
  return root;
}

async function checkDockerfile(root: string, dockerfile: string): Promise<string> {
  const absolute = path.resolve(root, dockerfile);
  const relative = toPosix(path.relative(root, absolute));
  if (!isInside(root, absolute) || relative === '') {
    throw new BuildContextError(`Dockerfile ${quote(dockerfile)} is outside the build context`);
  }
  let real: string;
  try {
    real = await realpath(absolute);
  } catch {
    throw new BuildContextError(`Dockerfile ${quote(relative)} not found in the build context`);
  }
  if (!isInside(root, real)) {
    throw new BuildContextError(`Dockerfile ${quote(relative)} points outside the build context`);
  }
  const stats = await lstat(real);
  if (!stats.isFile()) {
    throw new BuildContextError(`Dockerfile ${quote(relative)} is not a regular file`);
  }
  return relative;
}

interface IgnoreRules {
  ignores(relative: string): boolean;
  /** Exception patterns ("!x"), cleaned, used to decide whether an ignored directory is walked. */
  exceptions: string[];
}

async function readIgnoreRules(root: string): Promise<IgnoreRules> {
  let text = '';
  try {
    text = await readFile(path.join(root, '.dockerignore'), 'utf8');
  } catch {
    // No .dockerignore (or an unreadable one, which the daemon would not read either).
  }
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const matcher = dockerignore({ ignorecase: false }).add(lines);
  const exceptions = lines
    .filter((line) => line.startsWith('!'))
    .map((line) => path.posix.normalize(line.slice(1).trim()).replace(/^\/+/, ''));
  return { ignores: (relative) => matcher.ignores(relative), exceptions };
}

interface Caps {
  maxBytes: number;
  maxFiles: number;
}

/** Walks the context in a stable order, accepting or rejecting every entry. */
class ContextWalker {
  readonly entries: string[] = [];
  files = 0;
  bytes = 0;

  constructor(
    private readonly root: string,
    private readonly rules: IgnoreRules,
    private readonly dockerfile: string,
    private readonly caps: Caps,
  ) {}

  async walk(directory: string): Promise<void> {
    const names = await this.list(directory);
    for (const name of names) {
      await this.visit(directory === '' ? name : `${directory}/${name}`);
    }
  }

  private async list(directory: string): Promise<string[]> {
    try {
      return (await readdir(path.join(this.root, directory))).sort();
    } catch (error) {
      throw new BuildContextError(
        `cannot read ${quote(directory || '.')} in the build context: ${codeOf(error)}`,
      );
    }
  }

  private async visit(relative: string): Promise<void> {
    const stats = await this.stat(relative);
    const ignored = this.rules.ignores(relative) && !this.isAlwaysSent(relative);
    if (stats.isDirectory()) {
      if (!ignored) this.accept(relative, 0);
      if (!ignored || this.mayContainException(relative)) await this.walk(relative);
      return;
    }
    if (ignored) return;
    if (stats.isSymbolicLink()) {
      await this.checkSymlink(relative);
      this.accept(relative, 0);
    } else if (stats.isFile()) {
      this.accept(relative, stats.size);
    } else {
      throw new BuildContextError(
        `${quote(relative)} in the build context is a ${specialKind(stats)}; only files, directories and symlinks can be sent`,
      );
    }
  }

  private async stat(relative: string): Promise<Stats> {
    try {
      return await lstat(path.join(this.root, relative));
    } catch (error) {
      throw new BuildContextError(`cannot read ${quote(relative)} in the build context: ${codeOf(error)}`);
    }
  }

  /** The docker CLI always sends the Dockerfile and .dockerignore, whatever .dockerignore says. */
  private isAlwaysSent(relative: string): boolean {
    return relative === this.dockerfile || relative === '.dockerignore';
  }

  /** The docker CLI's rule: walk an ignored directory only if an exception could match below it. */
  private mayContainException(relative: string): boolean {
    const prefix = `${relative}/`;
    return (
      this.dockerfile.startsWith(prefix) ||
      this.rules.exceptions.some((pattern) => `${pattern}/`.startsWith(prefix))
    );
  }

  private async checkSymlink(relative: string): Promise<void> {
    const absolute = path.join(this.root, relative);
    const target = await readlink(absolute);
    const lexical = path.resolve(path.dirname(absolute), target);
    if (!isInside(this.root, lexical)) {
      throw new BuildContextError(
        `symlink ${quote(relative)} points outside the build context (to ${quote(target)})`,
      );
    }
    // A chain of links can still leave the context even when the first hop does not.
    const real = await realpath(absolute).catch(() => undefined);
    if (real !== undefined && !isInside(this.root, real)) {
      throw new BuildContextError(`symlink ${quote(relative)} resolves outside the build context`);
    }
  }

  private accept(relative: string, size: number): void {
    this.files += 1;
    this.bytes += size;
    if (this.files > this.caps.maxFiles) {
      throw new BuildContextError(
        `build context has more than ${this.caps.maxFiles} files (stopped at ${quote(relative)}); add a .dockerignore`,
      );
    }
    if (this.bytes > this.caps.maxBytes) {
      throw new BuildContextError(
        `build context is larger than ${formatBytes(this.caps.maxBytes)} (stopped at ${quote(relative)}); add a .dockerignore`,
      );
    }
    this.entries.push(relative);
  }
}

function toPosix(relative: string): string {
  return relative.split(path.sep).join('/');
}

/** File names are the student's: quoting keeps newlines and control characters visible. */
function quote(name: string): string {
  return JSON.stringify(name);
}

function codeOf(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return mib >= 1 ? `${Number(mib.toFixed(1))} MiB` : `${bytes} bytes`;
}
