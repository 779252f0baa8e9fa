// Where the daemon is and how to reach it: DOCKER_HOST (unix:// or tcp://, with TLS) or the
// default socket, and the environment a docker CLI child process needs to reach the same one.
import type Docker from 'dockerode';
import { InfraError } from '../errors';

export interface DockerEngineOptions {
  runId: string;
  /** Path of the daemon's unix socket; wins over `host`. */
  socketPath?: string;
  /** A DOCKER_HOST value: unix:///path or tcp://host:port. */
  host?: string;
  /** Deadline of each ordinary API call (not builds or execs, which carry their own). */
  callTimeoutMs?: number;
  /** Deadline of an archive copy (copyInto, copyBetween); default max(callTimeoutMs, 120 s). */
  transferTimeoutMs?: number;
}

const DEFAULT_SOCKET = '/var/run/docker.sock';

export interface Endpoint {
  /** How the daemon is named in messages, e.g. unix:///var/run/docker.sock */
  display: string;
  modem: Docker.DockerOptions;
  /** What a docker CLI child process needs to reach the same daemon. */
  clientEnvironment: Record<string, string>;
}

export function resolveEndpoint(options: DockerEngineOptions): Endpoint {
  if (options.socketPath !== undefined) return unixEndpoint(options.socketPath);
  const host = options.host?.trim();
  if (!host) return unixEndpoint(DEFAULT_SOCKET);
  if (host.startsWith('unix://')) return unixEndpoint(host.slice('unix://'.length) || DEFAULT_SOCKET);
  if (host.startsWith('tcp://')) return tcpEndpoint(host);
  throw new InfraError(
    `DOCKER_HOST ${JSON.stringify(host)} is not supported: use unix:///path or tcp://host:port`,
  );
}

function unixEndpoint(socketPath: string): Endpoint {
  // host: undefined on purpose: docker-modem merges DOCKER_HOST from the environment otherwise.
  return {
    display: `unix://${socketPath}`,
    modem: { socketPath, host: undefined, protocol: 'http' },
    clientEnvironment: { DOCKER_HOST: `unix://${socketPath}` },
  };
}

function tcpEndpoint(host: string): Endpoint {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new InfraError(`DOCKER_HOST ${JSON.stringify(host)} is not a valid tcp://host:port address`);
  }
  const tls = process.env.DOCKER_TLS_VERIFY === '1' || url.port === '2376';
  const port = url.port || (tls ? '2376' : '2375');
  const display = `tcp://${url.hostname}:${port}`;
  const clientEnvironment: Record<string, string> = { DOCKER_HOST: display };
  const { DOCKER_TLS_VERIFY: verify, DOCKER_CERT_PATH: certPath } = process.env;
  if (verify) clientEnvironment.DOCKER_TLS_VERIFY = verify;
  // TLS implied by the port alone: the CLI must be told, or it would speak plain HTTP.
  else if (tls) clientEnvironment.DOCKER_TLS = '1';
  if (certPath) clientEnvironment.DOCKER_CERT_PATH = certPath;
  return {
    display,
    // TLS material (DOCKER_CERT_PATH) is read by docker-modem itself.
    modem: { host: url.hostname, port, protocol: tls ? 'https' : 'http' },
    clientEnvironment,
  };
}
