// engine/transport: reaching the daemon (where, how, deadlines, response streams), under every operation.
//
// The connection every engine operation goes through: one dockerode client, the per-call deadline,
// and the translation of failures into DockerApiError (the daemon refused) or InfraError (the
// engine or the machine failed).
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { RUN_LABEL } from '../../naming/labels';
import { DockerApiError, errorMessage, FAULT_MEANING, InfraError } from '../../shared/errors';
import type { EngineConnection } from '../engine';
import { daemonMessage, infraFaultIn, isConnectionError, statusOf } from '../faults';
import { delay, formatSeconds, oneLine } from '../format';
import { type DockerEngineOptions, resolveEndpoint } from './connection';
import { asReadable } from './streams';

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
const DEFAULT_TRANSFER_TIMEOUT_MS = 120_000;
/** The deadline of each call once one call has timed out (see call()). */
const UNRESPONSIVE_CALL_TIMEOUT_MS = 5_000;
const PING_TIMEOUT_MS = 5_000;
/** How often a long wait (a container's exit) asks whether the daemon still answers. */
const LIVENESS_INTERVAL_MS = 15_000;
/** Before an idempotent call is tried again on a fresh connection. */
const RETRY_PAUSE_MS = 500;

export type DialOptions = Parameters<Docker['modem']['dial']>[0];

export class DockerClient {
  readonly runId: string;
  readonly docker: Docker;
  /** How the daemon is named in messages, e.g. unix:///var/run/docker.sock */
  readonly endpoint: string;
  /** What a docker CLI child process needs to reach the same daemon. */
  readonly childEnvironment: Record<string, string>;
  /** Raw connections made as this client's own are (the policy proxy's upstream). */
  readonly connection: EngineConnection;
  /** Deadline of each ordinary API call (not builds or execs, which carry their own). */
  readonly callTimeoutMs: number;
  /** Deadline of an archive copy (copyInto, copyBetween). */
  readonly transferTimeoutMs: number;
  /** Set when a call ran out its deadline, cleared by the next call that succeeds. */
  private unresponsive = false;
  /** Set by close(): the run was interrupted, and nothing more is asked of the engine. */
  private closed = false;
  /** Requests in flight, aborted by close(). */
  private readonly inFlight = new Set<AbortController>();
  private watching = false;
  /** The engine's GET /version answer, once asked (version()). */
  private versionAnswer: Promise<unknown> | undefined;
  /** Set when the daemon's event stream ended: it stopped or restarted during the run. */
  lostReason: string | undefined;

  constructor(options: DockerEngineOptions) {
    this.runId = options.runId;
    const endpoint = resolveEndpoint(options);
    this.endpoint = endpoint.display;
    this.childEnvironment = endpoint.clientEnvironment;
    this.connection = {
      display: endpoint.display,
      onThisMachine: endpoint.onThisMachine,
      dial: endpoint.dial,
    };
    this.docker = new Docker(endpoint.modem);
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.transferTimeoutMs =
      options.transferTimeoutMs ?? Math.max(this.callTimeoutMs, DEFAULT_TRANSFER_TIMEOUT_MS);
  }

  /** Runs one API call under a deadline (the per-call one by default) and turns its failure into a clean error. */
  async call<T>(
    what: string,
    run: (signal: AbortSignal) => Promise<T>,
    timeoutMs = this.callTimeoutMs,
  ): Promise<T> {
    // A daemon that already let one call run out its deadline is probably hanging: the calls
    // after it (cleanup above all) get a short one, so that the grader ends in seconds, not hours.
    if (this.closed) throw new InfraError('grading was interrupted: nothing more is asked of the engine');
    const deadlineMs = this.unresponsive ? Math.min(timeoutMs, UNRESPONSIVE_CALL_TIMEOUT_MS) : timeoutMs;
    const controller = new AbortController();
    const release = this.track(controller);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        this.unresponsive = true;
        reject(this.timeoutError(what, deadlineMs));
      }, deadlineMs);
    });
    try {
      const result = await Promise.race([run(controller.signal), deadline]);
      this.unresponsive = false;
      return result;
    } catch (error) {
      throw this.translate(error, what);
    } finally {
      clearTimeout(timer);
      release();
    }
  }

  /**
   * Registers a request's controller, so that close() aborts it; returns the release function.
   * After close() the controller is aborted at once: the interrupted run asks nothing more.
   */
  track(controller: AbortController): () => void {
    if (this.closed) controller.abort(new InfraError('grading was interrupted'));
    this.inFlight.add(controller);
    return () => this.inFlight.delete(controller);
  }

  /**
   * An abort controller tracked as track() does that also aborts itself after `timeoutMs`: a
   * request under its own deadline. `done` clears the timer and stops tracking it.
   */
  deadline(timeoutMs: number): { controller: AbortController; done: () => void } {
    const controller = new AbortController();
    const release = this.track(controller);
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    return {
      controller,
      done: () => {
        clearTimeout(timer);
        release();
      },
    };
  }

  /**
   * Follows the daemon's event stream (daemon events only, so it is quiet) for as long as the
   * run lasts: the stream ends when the daemon stops, and a daemon that restarted between two
   * calls killed the run's containers, which must not be graded as the student's doing.
   */
  async watchDaemon(): Promise<void> {
    if (this.watching || this.closed) return;
    this.watching = true;
    const controller = new AbortController();
    const release = this.track(controller);
    let stream: Readable;
    try {
      stream = asReadable(
        await this.dial({
          path: '/events?',
          method: 'GET',
          options: { filters: JSON.stringify({ type: ['daemon'] }) },
          isStream: true,
          abortSignal: controller.signal,
          statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
        }),
      );
    } catch {
      // Without the stream nothing more is known; every call still has its own deadline.
      release();
      return;
    }
    // The watch must not keep a finished grader alive.
    (stream as Readable & { socket?: Socket }).socket?.unref();
    const lost = (): void => {
      release();
      if (this.closed || controller.signal.aborted) return;
      this.lostReason ??= `the Docker engine at ${this.endpoint} stopped or restarted during the run (its event stream ended)`;
    };
    stream.once('end', lost);
    stream.once('close', lost);
    stream.on('error', lost);
    stream.resume();
  }

  /** Aborts every request in flight and refuses new ones (SIGINT/SIGTERM, the watchdog). */
  close(): void {
    this.closed = true;
    for (const controller of this.inFlight) controller.abort(new InfraError('grading was interrupted'));
    this.inFlight.clear();
  }

  /**
   * Calls `onEvent` for each event of the engine about something carrying the run's label
   * (created, tagged, ...), until the returned function is called. Best effort: an engine that
   * does not answer simply gives no events.
   */
  watchRunEvents(onEvent: () => void): () => void {
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    this.dial({
      path: '/events?',
      method: 'GET',
      options: { filters: JSON.stringify({ label: [`${RUN_LABEL}=${this.runId}`] }) },
      isStream: true,
      abortSignal: controller.signal,
      statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
    }).then(
      (stream) => {
        const readable = asReadable(stream);
        readable.on('data', () => onEvent());
        readable.on('error', () => undefined);
      },
      () => undefined,
    );
    return stop;
  }

  /**
   * A call that changes nothing, or whose repetition is harmless (inspect, list, version, ping,
   * remove): retried once when the connection broke, since a daemon that restarts or drops one
   * connection may answer the next. Deadlines are not retried: a hanging daemon stays hanging.
   */
  async idempotentCall<T>(
    what: string,
    run: (signal: AbortSignal) => Promise<T>,
    timeoutMs = this.callTimeoutMs,
  ): Promise<T> {
    try {
      return await this.call(what, run, timeoutMs);
    } catch (error) {
      if (!(error instanceof InfraError) || error.fault !== 'unreachable') throw error;
      await delay(RETRY_PAUSE_MS);
      return this.call(what, run, timeoutMs);
    }
  }

  /**
   * Whether the daemon still answers, asked after a build or exec ran into its own time limit:
   * that limit is the student's only if the engine was alive. Throws the InfraError otherwise.
   */
  async ensureAnswering(what: string): Promise<void> {
    await this.call(
      `ping after ${what}`,
      (signal) =>
        this.dial({
          path: '/_ping',
          method: 'GET',
          abortSignal: signal,
          statusCodes: { 200: true, 500: 'server error' },
        }),
      PING_TIMEOUT_MS,
    );
  }

  /**
   * `work` (a long wait on the daemon, e.g. for a container's exit), failed as soon as the daemon
   * stops answering a ping within the call deadline: a hung daemon answers neither, and the wait
   * alone would last the whole step's time limit before anyone noticed.
   */
  answeringWhile<T>(work: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (finish: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        finish();
      };
      const schedule = (): void => {
        timer = setTimeout(() => {
          this.call(`ping while waiting for ${what}`, (signal) =>
            this.dial({
              path: '/_ping',
              method: 'GET',
              abortSignal: signal,
              statusCodes: { 200: true, 500: 'server error' },
            }),
          ).then(
            () => {
              if (!settled) schedule();
            },
            (error: unknown) => settle(() => reject(error)),
          );
        }, LIVENESS_INTERVAL_MS);
      };
      schedule();
      work.then(
        (value) => settle(() => resolve(value)),
        (error: unknown) => settle(() => reject(error)),
      );
    });
  }

  /**
   * GET /version, asked once per client: the engine's info and its builds read which engine this
   * is (engine-kind.ts) from the same answer. A failed ask is asked again next time.
   */
  version(): Promise<unknown> {
    if (this.versionAnswer === undefined) {
      const answer = this.engineWide('/version');
      this.versionAnswer = answer;
      answer.catch(() => {
        if (this.versionAnswer === answer) this.versionAnswer = undefined;
      });
    }
    return this.versionAnswer;
  }

  /** An engine-wide answer (/version, /info), asked as any idempotent call is. */
  engineWide(path: '/version' | '/info'): Promise<unknown> {
    return this.idempotentCall(path.slice(1), (signal) =>
      this.dial({
        path,
        method: 'GET',
        abortSignal: signal,
        statusCodes: { 200: true, 500: 'server error' },
      }),
    );
  }

  /** A raw request through dockerode's modem, for endpoints whose wrappers buffer or lack a signal. */
  dial(options: DialOptions): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.docker.modem.dial(options, (error, result) => (error ? reject(error) : resolve(result)));
    });
  }

  timeoutError(what: string, ms: number): InfraError {
    return new InfraError(
      `${FAULT_MEANING.timeout}: the Docker engine at ${this.endpoint} did not complete "${what}" within ${formatSeconds(ms)}`,
      'timeout',
    );
  }

  /**
   * Connection trouble, API-version refusals, a 5xx and the faults infraFaultIn() recognises are
   * the infrastructure's (InfraError); other HTTP errors are refusals of the request.
   */
  translate(error: unknown, what: string): Error {
    if (error instanceof InfraError || error instanceof DockerApiError) return error;
    if (isConnectionError(error)) {
      return new InfraError(
        `Docker engine not reachable at ${this.endpoint}: ${oneLine(errorMessage(error))}. Is dockerd running?`,
        'unreachable',
      );
    }
    const status = statusOf(error);
    if (status === undefined) {
      // No HTTP answer at all: the connection broke mid-way (a daemon killed or restarted).
      return new InfraError(
        `Docker engine at ${this.endpoint} failed during "${what}": ${oneLine(errorMessage(error))}`,
        'unreachable',
      );
    }
    const message = oneLine(daemonMessage(error));
    const fault = infraFaultIn(message);
    if (fault !== undefined) {
      return new InfraError(
        `${FAULT_MEANING[fault]} (Docker engine at ${this.endpoint}, during "${what}": ${message})`,
        fault,
      );
    }
    // A 5xx is the engine failing; counting it against the student could turn into a wrong 0.
    if (status >= 500) {
      return new InfraError(`Docker engine at ${this.endpoint} failed during "${what}": ${message}`);
    }
    return new DockerApiError(`${what}: ${message}`, status);
  }

  /** GET on an inspection endpoint; undefined on 404. `url` holds only RESOURCE_NAME characters. */
  async inspectOrUndefined(what: string, url: string): Promise<unknown> {
    try {
      return await this.idempotentCall(what, (signal) =>
        this.dial({
          path: url,
          method: 'GET',
          abortSignal: signal,
          statusCodes: { 200: true, 404: 'not found', 500: 'server error' },
        }),
      );
    } catch (error) {
      if (error instanceof DockerApiError && error.statusCode === 404) return undefined;
      throw error;
    }
  }
}
