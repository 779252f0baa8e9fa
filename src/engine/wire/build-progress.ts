// engine/wire: the Engine API's formats (JSON, tar, progress streams) read and written; no daemon calls.
//
// The classic builder's /build (and /images/create) progress stream, parsed line by line.
import { StringDecoder } from 'node:string_decoder';
import { isRecord } from '../../shared/records';
import { parseJson } from '../format';

const BUILD_LOG_CAP = 256 * 1024;
/** A build-progress line longer than this (no newline in sight) is taken as text, not buffered on. */
const MAX_PROGRESS_LINE = 1024 * 1024;

/** The /build progress stream: one JSON object per line, errors included, even with HTTP 200. */
export class BuildProgress {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private partialLine = '';
  private readonly text = new TailText(BUILD_LOG_CAP);
  error: string | undefined;

  /** Short ids of the images this build committed (not cache hits, not FROM's base image). */
  readonly createdImages: string[] = [];
  private step = { isFrom: false, cached: false, ranContainer: false };

  constructor(private readonly onLine?: (line: string) => void) {}

  push(chunk: Buffer): void {
    this.pending += this.decoder.write(chunk);
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.handle(line);
    if (this.pending.length > MAX_PROGRESS_LINE) {
      this.addText(`${this.pending}\n`);
      this.pending = '';
    }
  }

  finish(): void {
    this.pending += this.decoder.end();
    if (this.pending.trim() !== '') this.handle(this.pending);
    this.pending = '';
    if (this.partialLine !== '') this.emit(this.partialLine);
    this.partialLine = '';
  }

  fail(message: string): void {
    this.error ??= message.trim();
    this.addText(`ERROR: ${message}\n`);
  }

  log(): string {
    return this.text.toString();
  }

  private handle(line: string): void {
    const trimmed = line.trim();
    if (trimmed === '') return;
    const message = parseJson(trimmed);
    if (!isRecord(message)) {
      this.addText(`${trimmed}\n`);
      return;
    }
    if (typeof message.stream === 'string') this.addText(message.stream);
    if (typeof message.status === 'string') this.addText(`${message.status}\n`);
    const error = progressError(message);
    if (error !== undefined) this.fail(error);
  }

  private addText(text: string): void {
    this.text.append(text);
    const lines = (this.partialLine + text).split('\n');
    this.partialLine = lines.pop() ?? '';
    for (const line of lines) this.emit(line);
  }

  /** Follows the classic builder's "Step n/m", " ---> Using cache", " ---> <id>" lines. */
  private track(line: string): void {
    const step = STEP_LINE.exec(line);
    if (step) {
      this.step = { isFrom: step[1]?.toUpperCase() === 'FROM', cached: false, ranContainer: false };
    } else if (line === ' ---> Using cache') {
      this.step.cached = true;
    } else if (line.startsWith(' ---> Running in ')) {
      this.step.ranContainer = true;
    } else {
      const id = IMAGE_LINE.exec(line)?.[1];
      const committed = !this.step.cached && (!this.step.isFrom || this.step.ranContainer);
      if (id !== undefined && committed) this.createdImages.push(id);
    }
  }

  private emit(line: string): void {
    this.track(line);
    try {
      this.onLine?.(line.replace(/\r$/, ''));
    } catch {
      // A broken progress printer must not break the build.
    }
  }
}

const STEP_LINE = /^Step \d+\/\d+ : (\S+)/;
const IMAGE_LINE = /^ ---> ([0-9a-f]{12,64})$/;

function progressError(message: Record<string, unknown>): string | undefined {
  if (typeof message.error === 'string' && message.error !== '') return message.error;
  const detail = message.errorDetail;
  if (isRecord(detail) && typeof detail.message === 'string' && detail.message !== '') return detail.message;
  return undefined;
}

/** Text that keeps only its last `cap` characters: the end of a build log is where the error is. */
class TailText {
  private parts: string[] = [];
  private length = 0;
  private dropped = false;

  constructor(private readonly cap: number) {}

  append(text: string): void {
    this.parts.push(text);
    this.length += text.length;
    if (this.length > 2 * this.cap) this.compact();
  }

  toString(): string {
    const joined = this.parts.join('');
    if (joined.length <= this.cap && !this.dropped) return joined;
    return `[build log truncated: only the last ${Math.round(this.cap / 1024)} KiB are kept]\n${joined.slice(-this.cap)}`;
  }

  private compact(): void {
    const joined = this.parts.join('');
    this.parts = [joined.slice(-this.cap)];
    this.length = this.cap;
    this.dropped = true;
  }
}
