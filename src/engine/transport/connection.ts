// engine/transport: reaching the daemon (where, how, deadlines, response streams), under every operation.
//
// Where the daemon is and how to reach it: DOCKER_HOST (unix://, tcp:// with TLS, ssh://) or the
// default socket, and the environment a docker CLI child process needs to reach the same one.
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type Docker from 'dockerode';
import { InfraError } from '../../shared/errors';
import type { EngineConnection } from '../engine';
import { parseSshHost, SshDialer, SshHttpAgent } from './ssh';

export interface DockerEngineOptions {
  runId: string;
  /** Path of the daemon's unix socket; wins over `host`. */
  socketPath?: string;
  /** A DOCKER_HOST value: unix:///path, tcp://host:port or ssh://[user@]host[:port]; default DOCKER_HOST's. */
  host?: string;
  /** Deadline of each ordinary API call (not builds or execs, which carry their own). */
  callTimeoutMs?: number;
  /** Deadline of an archive copy (copyInto, copyBetween); default max(callTimeoutMs, 120 s). */
  transferTimeoutMs?: number;
}

const DEFAULT_SOCKET = '/var/run/docker.sock';

export interface Endpoint extends EngineConnection {
  /** dockerode hands these to docker-modem, which also takes an http.Agent (its types omit it). */
  modem: Docker.DockerOptions & { agent?: http.Agent };
  /** What a docker CLI child process needs to reach the same daemon. */
  clientEnvironment: Record<string, string>;
}

/**
 * The daemon `options` name: its socketPath, else its host, else DOCKER_HOST (as the docker CLI
 * finds it, so that every engine object, the tests' included, follows the engine under test),
 * else the default socket. An explicitly empty host means the default socket.
 */
export function resolveEndpoint(options: DockerEngineOptions): Endpoint {
  if (options.socketPath !== undefined) return unixEndpoint(options.socketPath);
  const host = (options.host ?? process.env.DOCKER_HOST)?.trim();
  if (!host) return unixEndpoint(DEFAULT_SOCKET);
  if (host.startsWith('unix://')) return unixEndpoint(host.slice('unix://'.length) || DEFAULT_SOCKET);
  if (host.startsWith('tcp://')) return tcpEndpoint(host);
  if (host.startsWith('ssh://')) return sshEndpoint(host);
  throw new InfraError(
    `DOCKER_HOST ${JSON.stringify(host)} is not supported: use unix:///path, tcp://host:port (with TLS: DOCKER_TLS_VERIFY=1, DOCKER_CERT_PATH) or ssh://[user@]host[:port]`,
  );
}

/** localhost, 127.0.0.0/8 and ::1: the engine is on this machine (a forwarded port is trusted to be). */
export function isLoopback(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (net.isIPv4(name)) return name.startsWith('127.');
  return net.isIPv6(name) && (name === '::1' || /^::ffff:127\./.test(name));
}

/** Resolves once the socket is connected; rejects with its error otherwise. */
function connected<T extends net.Socket>(socket: T, event: 'connect' | 'secureConnect'): Promise<T> {
  return new Promise((resolve, reject) => {
    socket.once(event, () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function unixEndpoint(socketPath: string): Endpoint {
  // host: undefined on purpose: docker-modem merges DOCKER_HOST from the environment otherwise.
  return {
    display: `unix://${socketPath}`,
    onThisMachine: true,
    dial: () => connected(net.connect(socketPath), 'connect'),
    modem: { socketPath, host: undefined, protocol: 'http' },
    clientEnvironment: { DOCKER_HOST: `unix://${socketPath}` },
  };
}

function sshEndpoint(host: string): Endpoint {
  const target = parseSshHost(host);
  const dialer = new SshDialer(target);
  return {
    display: target.display,
    onThisMachine: isLoopback(target.host),
    dial: () => dialer.dial(),
    // protocol http over the agent's channels: docker-modem's own 'ssh' protocol (which it takes
    // from DOCKER_HOST) would check no host key. host and port only make up the request's URL.
    modem: {
      host: target.host,
      port: String(target.port),
      protocol: 'http',
      agent: new SshHttpAgent(dialer),
    },
    clientEnvironment: { DOCKER_HOST: target.display },
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
  const material = tls ? tlsMaterial() : {};
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    display,
    onThisMachine: isLoopback(hostname),
    dial: () =>
      tls
        ? connected(tlsConnect(hostname, Number(port), material), 'secureConnect')
        : connected(net.connect(Number(port), hostname), 'connect'),
    modem: { host: url.hostname, port, protocol: tls ? 'https' : 'http', ...material },
    clientEnvironment,
  };
}

/** As https does for dockerode: the daemon's certificate is checked against the CA, for that host. */
function tlsConnect(host: string, port: number, material: TlsMaterial): tls.TLSSocket {
  return tls.connect({ host, port, ...material, ...(net.isIP(host) ? {} : { servername: host }) });
}

/**
 * The client certificate and CA as the docker CLI finds them: DOCKER_CERT_PATH, else ~/.docker.
 * Read here (not left to docker-modem, which reads them only when DOCKER_HOST is in the
 * environment), so that a host given otherwise gets them too. With DOCKER_TLS_VERIFY=1 all three
 * files are required: the daemon's certificate is checked against ca.pem.
 */
type TlsMaterial = { ca?: Buffer; cert?: Buffer; key?: Buffer };

function tlsMaterial(): TlsMaterial {
  const dir = process.env.DOCKER_CERT_PATH || path.join(os.homedir(), '.docker');
  const read = (name: string): Buffer | undefined => {
    try {
      return readFileSync(path.join(dir, name));
    } catch {
      return undefined;
    }
  };
  const [ca, cert, key] = [read('ca.pem'), read('cert.pem'), read('key.pem')];
  if (
    process.env.DOCKER_TLS_VERIFY === '1' &&
    (ca === undefined || cert === undefined || key === undefined)
  ) {
    throw new InfraError(
      `DOCKER_TLS_VERIFY=1 needs ca.pem, cert.pem and key.pem in ${dir} (DOCKER_CERT_PATH)`,
    );
  }
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}
