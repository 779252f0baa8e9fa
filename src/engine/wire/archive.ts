// engine/wire: the Engine API's formats (JSON, tar, progress streams) read and written; no daemon calls.
//
// Tar streams of the Engine API's archive endpoints (/containers/{id}/archive): reading the entry
// that describes a container path, packing a host file or folder to copy in, and a byte cap for
// archives passed from one container to another. No daemon calls here.

import type { Stats } from 'node:fs';
import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import tarFs from 'tar-fs';
import tarStream from 'tar-stream';
import { formatBytes } from '../../compare/units';
import { isInside, specialKind } from '../../shared/paths';
import type { PathEntry } from '../engine';
import { DEFAULT_MAX_CONTEXT_BYTES, DEFAULT_MAX_CONTEXT_FILES } from './build-context';

/** A host path that cannot be copied as it is (a symlink leaving it, a FIFO, too large...). */
export class HostCopyError extends Error {
  override name = 'HostCopyError';
}

/**
 * Reads the first entry of a tar stream (GET archive puts the path itself first) and stops: a
 * file's content is kept up to `maxBytes`, a directory's children are never downloaded.
 * undefined for an empty archive. The source is destroyed when this settles.
 */
export async function readFirstEntry(source: Readable, maxBytes: number): Promise<PathEntry | undefined> {
  const extract = tarStream.extract();
  const onSourceError = (error: Error): void => {
    extract.destroy(error);
  };
  source.on('error', onSourceError);
  source.once('close', () => {
    if (!source.readableEnded) extract.destroy(new Error('the archive stream closed before its end'));
  });
  source.pipe(extract);
  try {
    for await (const entry of extract) {
      const header = entry.header;
      const type = entryType(header.type);
      const result: PathEntry = {
        type,
        mode: (header.mode ?? 0) & 0o7777,
        uid: header.uid ?? 0,
        gid: header.gid ?? 0,
        size: header.size ?? 0,
      };
      if (type === 'symlink') result.linkTarget = header.linkname ?? '';
      if (type === 'file') {
        const { content, truncated } = await readCapped(entry, Math.max(0, maxBytes), result.size);
        result.content = content;
        result.truncated = truncated;
      }
      return result;
    }
    return undefined;
  } finally {
    source.unpipe(extract);
    source.destroy();
    extract.destroy();
  }
}

async function readCapped(
  entry: AsyncIterable<Buffer>,
  cap: number,
  size: number,
): Promise<{ content: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let kept = 0;
  if (cap > 0) {
    for await (const chunk of entry) {
      const room = cap - kept;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      chunks.push(Buffer.from(part));
      kept += part.length;
      // Enough: leave the rest of the file (and of the archive) on the daemon.
      if (kept >= cap) break;
    }
  }
  return { content: Buffer.concat(chunks), truncated: size > kept };
}

function entryType(type: tarStream.Headers['type']): PathEntry['type'] {
  switch (type) {
    case 'file':
    case 'contiguous-file':
    case null:
    case undefined:
      return 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      return 'symlink';
    default:
      return 'other';
  }
}

export interface HostPackLimits {
  maxBytes?: number;
  maxFiles?: number;
}

/**
 * Packs a host file or folder as a tar whose top entry is its base name, as PUT archive wants to
 * put it into a folder. Everything is checked before anything is read: no symlink may leave the
 * folder, only files, folders and symlinks are sent, and the size is capped. Owners become root,
 * as with `docker cp`.
 */
export async function packHostPath(hostPath: string, limits: HostPackLimits = {}): Promise<Readable> {
  const absolute = path.resolve(hostPath);
  const stats = await lstatOrThrow(absolute, hostPath);
  const parent = path.dirname(absolute);
  const base = path.basename(absolute);
  if (stats.isSymbolicLink()) {
    throw new HostCopyError(`${quote(hostPath)} is a symlink; copy what it points to instead`);
  }
  let entries: string[];
  if (stats.isFile()) {
    entries = [base];
  } else if (stats.isDirectory()) {
    const walker = new HostWalker(absolute, {
      maxBytes: limits.maxBytes ?? DEFAULT_MAX_CONTEXT_BYTES,
      maxFiles: limits.maxFiles ?? DEFAULT_MAX_CONTEXT_FILES,
    });
    await walker.walk('');
    entries = [base, ...walker.entries.map((relative) => `${base}/${relative}`)];
  } else {
    throw new HostCopyError(`${quote(hostPath)} is not a file or a folder`);
  }
  const options: tarFs.PackOptions & { umask?: number } = {
    entries,
    // Only the checked entries: this stops tar-fs from adding the children of listed folders.
    ignore: () => true,
    map: (header) => ({ ...header, uid: 0, gid: 0 }),
    umask: 0,
  };
  return Readable.from(tarFs.pack(parent, options), { objectMode: false });
}

class HostWalker {
  readonly entries: string[] = [];
  private files = 0;
  private bytes = 0;

  constructor(
    private readonly root: string,
    private readonly caps: Required<HostPackLimits>,
  ) {}

  async walk(directory: string): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(path.join(this.root, directory))).sort();
    } catch (error) {
      throw new HostCopyError(`cannot read ${quote(path.join(this.root, directory))}: ${codeOf(error)}`);
    }
    for (const name of names) {
      const relative = directory === '' ? name : `${directory}/${name}`;
      const absolute = path.join(this.root, relative);
      const stats = await lstatOrThrow(absolute, absolute);
      if (stats.isDirectory()) {
        this.accept(relative, 0);
        await this.walk(relative);
      } else if (stats.isSymbolicLink()) {
        await this.checkSymlink(absolute, relative);
        this.accept(relative, 0);
      } else if (stats.isFile()) {
        this.accept(relative, stats.size);
      } else {
        throw new HostCopyError(
          `${quote(relative)} in ${quote(this.root)} is a ${specialKind(stats)}; only files, folders and symlinks can be copied`,
        );
      }
    }
  }

  private async checkSymlink(absolute: string, relative: string): Promise<void> {
    const target = await readlink(absolute);
    if (!isInside(this.root, path.resolve(path.dirname(absolute), target))) {
      throw new HostCopyError(
        `symlink ${quote(relative)} points outside ${quote(this.root)} (to ${quote(target)})`,
      );
    }
    // A chain of links can still leave the folder even when the first hop does not.
    const real = await realpath(absolute).catch(() => undefined);
    const root = await realpath(this.root).catch(() => this.root);
    if (real !== undefined && !isInside(root, real)) {
      throw new HostCopyError(`symlink ${quote(relative)} resolves outside ${quote(this.root)}`);
    }
  }

  private accept(relative: string, size: number): void {
    this.files += 1;
    this.bytes += size;
    if (this.files > this.caps.maxFiles) {
      throw new HostCopyError(`${quote(this.root)} has more than ${this.caps.maxFiles} entries to copy`);
    }
    if (this.bytes > this.caps.maxBytes) {
      throw new HostCopyError(
        `${quote(this.root)} is larger than ${formatBytes(this.caps.maxBytes)} to copy`,
      );
    }
    this.entries.push(relative);
  }
}

/** Passes bytes through until `cap`; beyond it, fails the stream (and `exceeded` tells why). */
export class ByteCap extends Transform {
  private passed = 0;
  exceeded = false;

  constructor(private readonly cap: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.passed += chunk.length;
    if (this.passed > this.cap) {
      this.exceeded = true;
      done(new Error(`the archive is larger than ${formatBytes(this.cap)}`));
      return;
    }
    done(null, chunk);
  }
}

async function lstatOrThrow(absolute: string, shown: string): Promise<Stats> {
  try {
    return await lstat(absolute);
  } catch (error) {
    throw new HostCopyError(`cannot read ${quote(shown)}: ${codeOf(error)}`);
  }
}

function quote(name: string): string {
  return JSON.stringify(name);
}

function codeOf(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}
