// The disk a container may write (issue 13, deliverable 7), verified after the fact: where the
// engine cannot bound a container's writable layer while it is written (StorageOpt size needs
// overlay2 on xfs with pquota; overlay2 on ext4 refuses it), the grader reads what the step's
// containers wrote while a script or compose step runs, and kills a running one that is past the
// bound. Reading a layer's size walks it (GET /containers/json?size=1, `docker ps -s`), so the
// list is read sparingly: every few seconds, one request for all of the exercise's containers,
// more often once one of them is past half its bound. A container can write past the bound for
// what it writes between two reads; it is stopped at the next.

import { CLIENT_LABEL, labelFilters, studentNameLabel } from '../naming/labels';
import { layerSizeRefusal } from '../proxy/budget';
import { isRecord, type Json } from '../proxy/refusal';
import { type Upstream, upstreamJson } from '../proxy/upstream';

/** Between two reads of the layers' sizes. */
export const DISK_WATCH_INTERVAL_MS = 5_000;
/** Between two reads once a container is past half its bound. */
const NEAR_BOUND_INTERVAL_MS = 1_000;

export interface DiskWatchOptions {
  upstream: Upstream;
  runId: string;
  /**
   * The exercise's scopes (the local one, and its remote machine's): its containers only
   * (another exercise graded at once has its own watch).
   */
  scopes: string[];
  /** Bytes a container may write to its own filesystem. */
  maxBytes: number;
  /**
   * The step's own container (the client): killed too once a container of the step is, which
   * ends the step with the reason, as the student's failure.
   */
  clientId?: string;
  intervalMs?: number;
  /** Each container stopped, with the reason, as it happens. */
  onStopped?: (message: string) => void;
}

export interface DiskWatchResult {
  /** Why each container was stopped, in order. */
  messages: string[];
  /** Whether the watch killed the step's own container (its exit code is the watch's doing). */
  endedStep: boolean;
}

export interface DiskWatch {
  /** Stops watching after one last read. */
  stop(): Promise<DiskWatchResult>;
}

/** Watches the exercise's running containers until stop(). Engine failures are left to the step. */
export function watchDisk(options: DiskWatchOptions): DiskWatch {
  const messages: string[] = [];
  const stopped = new Set<string>();
  /** Gives up the requests under way: an engine that hangs must not keep them (and the process) alive. */
  const abandon = new AbortController();
  const ask = (method: string, url: string): Promise<{ status: number; body: unknown }> =>
    upstreamJson(options.upstream, method, url, undefined, {
      timeoutMs: REQUEST_TIMEOUT_MS,
      signal: abandon.signal,
    });
  let ended = false;
  let endedStep = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
      timer.unref?.();
    });

  /** One read; whether a container is near its bound (read again sooner). */
  const sweep = async (): Promise<boolean> => {
    const running: Record<string, unknown>[] = [];
    for (const scope of options.scopes) {
      const filters = encodeURIComponent(
        JSON.stringify({ label: labelFilters(options.runId, scope), status: ['running'] }),
      );
      const answer = await ask('GET', `/containers/json?size=1&filters=${filters}`);
      if (answer.status === 200 && Array.isArray(answer.body)) running.push(...answer.body.filter(isRecord));
    }
    let near = false;
    for (const container of running) {
      const id = String(container.Id);
      const size = typeof container.SizeRw === 'number' ? container.SizeRw : undefined;
      if (size !== undefined && size > options.maxBytes / 2) near = true;
      const reason = layerSizeRefusal(size, options.maxBytes);
      if (reason === undefined || stopped.has(id)) continue;
      const killed = await ask('POST', `/containers/${encodeURIComponent(id)}/kill`);
      // Paused for a moment (a start's freeze): killed at the next read. Gone: nothing to stop.
      if (killed.status !== 204 && killed.status !== 404) continue;
      stopped.add(id);
      const message = `${describeContainer(container)}: ${reason}`;
      messages.push(message);
      options.onStopped?.(message);
      // The step's own container killed: its exit code is this kill's, whenever stop() came.
      if (id === options.clientId) endedStep = true;
      else if (options.clientId !== undefined && !ended && !endedStep) {
        endedStep = true;
        await ask('POST', `/containers/${encodeURIComponent(options.clientId)}/kill`);
      }
    }
    return near;
  };

  const loop = (async () => {
    const interval = options.intervalMs ?? DISK_WATCH_INTERVAL_MS;
    let near = false;
    while (!ended) {
      await pause(near ? Math.min(NEAR_BOUND_INTERVAL_MS, interval) : interval);
      if (ended) break;
      near = await sweep().catch(() => false);
    }
  })();

  return {
    async stop() {
      ended = true;
      if (timer !== undefined) clearTimeout(timer);
      wake?.();
      // An engine that hangs must not hold the step: its own fault is the step's to report.
      await withinMs(STOP_WAIT_MS, loop);
      // What was written since the last read, by a container the step leaves running.
      await withinMs(
        STOP_WAIT_MS,
        sweep().catch(() => false),
      );
      abandon.abort();
      return { messages: [...messages], endedStep };
    },
  };
}

/** A read or a kill the engine has not answered in this long is given up. */
const REQUEST_TIMEOUT_MS = 20_000;

/** How long stop() waits for a read under way, and for the last one. */
const STOP_WAIT_MS = 5_000;

/** Waits for `work`, at most `ms`. */
async function withinMs(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** How the student knows the container: the name given, else the engine's, else its short id. */
function describeContainer(container: Json): string {
  const labels = isRecord(container.Labels) ? (container.Labels as Record<string, string>) : {};
  if (labels[CLIENT_LABEL] === 'true') return "the step's own container (the script and its docker commands)";
  const given = studentNameLabel(labels);
  if (given !== undefined) return `container ${given}`;
  const names = Array.isArray(container.Names) ? container.Names : [];
  const first = typeof names[0] === 'string' ? names[0].replace(/^\//, '') : '';
  return `container ${first || String(container.Id).slice(0, 12)}`;
}
