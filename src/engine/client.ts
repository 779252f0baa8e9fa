// The connection every engine operation goes through: one dockerode client, the per-call deadline,
// and the translation of failures into DockerApiError (the daemon refused) or InfraError (the
// engine or the machine failed).
import Docker from 'dockerode';
import { DockerApiError, InfraError } from '../errors';
import { type DockerEngineOptions, resolveEndpoint } from './connection';
import { daemonMessage, isApiVersionProblem, isConnectionError, statusOf } from './faults';
import { formatSeconds, messageOf, oneLine } from './format';

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
const DEFAULT_TRANSFER_TIMEOUT_MS = 120_000;

export type DialOptions = Parameters<Docker['modem']['dial']>[0];

export class DockerClient {
  readonly runId: string;
  readonly docker: Docker;
  /** How the daemon is named in messages, e.g. unix:///var/run/docker.sock */
  readonly endpoint: string;
  /** What a docker CLI child process needs to reach the same daemon. */
  readonly childEnvironment: Record<string, string>;
  /** Deadline of each ordinary API call (not builds or execs, which carry their own). */
  readonly callTimeoutMs: number;
  /** Deadline of an archive copy (copyInto, copyBetween). */
  readonly transferTimeoutMs: number;

  constructor(options: DockerEngineOptions) {
    this.runId = options.runId;
    const endpoint = resolveEndpoint(options);
    this.endpoint = endpoint.display;
    this.childEnvironment = endpoint.clientEnvironment;
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
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(this.timeoutError(what, timeoutMs));
      }, timeoutMs);
    });
    try {
      return await Promise.race([run(controller.signal), deadline]);
    } catch (error) {
      throw this.translate(error, what);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A raw request through dockerode's modem, for endpoints whose wrappers buffer or lack a signal. */
  dial(options: DialOptions): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.docker.modem.dial(options, (error, result) => (error ? reject(error) : resolve(result)));
    });
  }

  timeoutError(what: string, ms: number): InfraError {
    return new InfraError(
      `Docker engine at ${this.endpoint} did not complete "${what}" within ${formatSeconds(ms)}`,
    );
  }

  /** Connection trouble and API-version refusals are the infrastructure's; other HTTP errors are not. */
  translate(error: unknown, what: string): Error {
    if (error instanceof InfraError || error instanceof DockerApiError) return error;
    if (isConnectionError(error)) {
      return new InfraError(
        `Docker engine not reachable at ${this.endpoint}: ${oneLine(messageOf(error))}. Is dockerd running?`,
      );
    }
    const status = statusOf(error);
    if (status === undefined) {
      return new InfraError(
        `Docker engine at ${this.endpoint} failed during "${what}": ${oneLine(messageOf(error))}`,
      );
    }
    const message = oneLine(daemonMessage(error));
    if (isApiVersionProblem(message)) {
      return new InfraError(`Docker engine at ${this.endpoint} does not speak this client's API: ${message}`);
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
      return await this.call(what, (signal) =>
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
