// engine/transport: reaching the daemon (where, how, deadlines, response streams), under every operation.
//
// An engine behind ssh://[user@]host[:port], reached as the docker CLI reaches it: each API
// connection is `docker system dial-stdio` run on the remote over an SSH channel, and HTTP is
// spoken over that channel. Unlike docker-modem's own ssh path, the server's host key must be
// listed in known_hosts (known-hosts.ts): an unknown or changed key is refused, never accepted.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { type AnyAuthMethod, type ClientChannel, Client as SshClient, utils as sshUtils } from 'ssh2';
import { InfraError } from '../../shared/errors';
import { entriesFor, hostKeyAlgorithms, knownHostsFiles, readKnownHosts, verifyHostKey } from './known-hosts';

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  /** ssh://user@host:port, for messages and DOCKER_HOST. */
  display: string;
}

/** The command the docker CLI runs on the remote, which relays its stdio to the engine's socket. */
const DIAL_STDIO = 'docker system dial-stdio';
/** OpenSSH's MaxSessions is 10 by default: a connection carries at most this many channels. */
const MAX_CHANNELS_PER_CONNECTION = 8;
/** How often one dial moves to another connection after a server refused it a channel. */
const MAX_CHANNEL_REFUSALS = 4;
/** An SSH connection without channels is closed after this long (new ones reuse it until then). */
const IDLE_CLOSE_MS = 2_000;
const READY_TIMEOUT_MS = 20_000;
const MAX_STDERR_BYTES = 4096;
/** The identity files tried, in this order, after the agent: OpenSSH's defaults. */
const IDENTITY_FILES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export function parseSshHost(value: string): SshTarget {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InfraError(
      `DOCKER_HOST ${JSON.stringify(value)} is not a valid ssh://[user@]host[:port] address`,
    );
  }
  if (
    url.hostname === '' ||
    (url.pathname !== '' && url.pathname !== '/') ||
    url.search !== '' ||
    url.password !== ''
  ) {
    throw new InfraError(
      `DOCKER_HOST ${JSON.stringify(value)} is not a valid ssh://[user@]host[:port] address (no path, query or password)`,
    );
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? 22 : Number(url.port);
  const username = decodeURIComponent(url.username) || os.userInfo().username;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { host, port, username, display: `ssh://${username}@${shownHost}${port === 22 ? '' : `:${port}`}` };
}

interface Connection {
  client: SshClient;
  socket: net.Socket;
  ready: Promise<void>;
  /** Channels open on it, and how many of them keep the process alive (see unref()). */
  open: number;
  referenced: number;
  /** Channels it may carry: MAX_CHANNELS_PER_CONNECTION, less if the server refused one. */
  capacity: number;
  broken: boolean;
  idleTimer?: NodeJS.Timeout;
}

/** A stream the http module can use as its socket (it calls these on sockets). */
export interface DialedStream extends Duplex {
  setTimeout(ms: number, callback?: () => void): this;
  setNoDelay(): this;
  setKeepAlive(): this;
  ref(): this;
  unref(): this;
}

/** Dials the engine over SSH: a few pooled SSH connections, one dial-stdio channel per API connection. */
export class SshDialer {
  private readonly connections = new Set<Connection>();

  constructor(readonly target: SshTarget) {}

  async dial(refusals = 0): Promise<DialedStream> {
    const connection = this.pick();
    connection.open += 1;
    this.hold(connection, +1);
    let channel: ClientChannel;
    try {
      await connection.ready;
      channel = await new Promise<ClientChannel>((resolve, reject) => {
        connection.client.exec(DIAL_STDIO, (error, opened) => (error ? reject(error) : resolve(opened)));
      });
    } catch (error) {
      connection.open -= 1;
      this.hold(connection, -1);
      // A server that allows fewer sessions per connection (sshd's MaxSessions): this one is
      // full at what it carries, and the channel is opened on another connection.
      const refused = error instanceof Error && /channel open failure/i.test(error.message);
      // The others' answers may still be on their way: each refusal lowers the capacity to what
      // is open or pending, which ends at what the server allows.
      if (refused && connection.open > 0 && refusals < MAX_CHANNEL_REFUSALS) {
        connection.capacity = Math.min(connection.capacity, connection.open);
        return this.dial(refusals + 1);
      }
      throw error;
    }
    return this.decorate(connection, channel);
  }

  /** A connection with room for one more channel, or a new one. */
  private pick(): Connection {
    for (const connection of this.connections) {
      if (!connection.broken && connection.open < connection.capacity) return connection;
    }
    const connection = this.connect();
    this.connections.add(connection);
    return connection;
  }

  private connect(): Connection {
    const { host, port, username, display } = this.target;
    const files = knownHostsFiles();
    const known = readKnownHosts(files);
    const algorithms = hostKeyAlgorithms(entriesFor(known, host, port));
    let refusal: string | undefined;
    const socket = net.connect(port, host);
    const client = new SshClient();
    const connection: Connection = {
      client,
      socket,
      ready: Promise.resolve(),
      open: 0,
      referenced: 0,
      capacity: MAX_CHANNELS_PER_CONNECTION,
      broken: false,
    };
    const drop = (): void => {
      connection.broken = true;
      clearTimeout(connection.idleTimer);
      this.connections.delete(connection);
    };
    connection.ready = new Promise<void>((resolve, reject) => {
      client.once('ready', resolve);
      client.on('error', (error: Error & { level?: string }) => {
        drop();
        if (refusal !== undefined) reject(new InfraError(`ssh: ${display}: ${refusal}`));
        else if (error.level === 'client-authentication') {
          reject(
            new InfraError(
              `ssh: ${display}: the server refused every key offered for ${username} (${this.authSources().join(', ') || 'no ssh-agent (SSH_AUTH_SOCK) and no ~/.ssh/id_ed25519, id_ecdsa or id_rsa without a passphrase'})`,
              'unreachable',
            ),
          );
        } else if (error.level === 'client-socket' || error.level === 'client-timeout') {
          const cause = (error as NodeJS.ErrnoException).code ?? error.message;
          reject(
            new InfraError(
              `ssh: ${display}: cannot connect (${cause}): is sshd running there?`,
              'unreachable',
            ),
          );
        } else reject(new InfraError(`ssh: ${display}: ${error.message}`, 'unreachable'));
      });
      client.once('close', () => {
        drop();
        reject(new InfraError(`ssh: ${display}: the connection closed before it was ready`, 'unreachable'));
      });
    });
    // Unhandled if no dial waits any more: the error is reported to the dials that wait.
    connection.ready.catch(() => undefined);
    client.connect({
      sock: socket,
      host,
      port,
      username,
      readyTimeout: READY_TIMEOUT_MS,
      // With no entry at all, every type is offered, and the verifier says that the host is unknown.
      ...(algorithms.length > 0 ? { algorithms: { serverHostKey: algorithms as never } } : {}),
      hostVerifier: (key: Buffer) => {
        const verdict = verifyHostKey(known, files, host, port, key);
        if (!verdict.accepted) refusal = verdict.reason;
        return verdict.accepted;
      },
      authHandler: this.authMethods(),
    });
    return connection;
  }

  /** The ssh-agent first (SSH_AUTH_SOCK), then the default identity files that need no passphrase. */
  private authMethods(): AnyAuthMethod[] {
    const { username } = this.target;
    const methods: AnyAuthMethod[] = [];
    const agent = process.env.SSH_AUTH_SOCK;
    if (agent) methods.push({ type: 'agent', username, agent });
    for (const key of this.identityKeys()) methods.push({ type: 'publickey', username, key });
    return methods;
  }

  private identityKeys(): Buffer[] {
    const keys: Buffer[] = [];
    for (const name of IDENTITY_FILES) {
      try {
        const key = readFileSync(path.join(os.homedir(), '.ssh', name));
        // An encrypted key cannot be used without its passphrase, which nobody is there to type.
        if (!(sshUtils.parseKey(key) instanceof Error)) keys.push(key);
      } catch {
        // No such file: the next one.
      }
    }
    return keys;
  }

  private authSources(): string[] {
    const sources = process.env.SSH_AUTH_SOCK ? ['the ssh-agent at SSH_AUTH_SOCK'] : [];
    for (const name of IDENTITY_FILES) {
      try {
        if (!(sshUtils.parseKey(readFileSync(path.join(os.homedir(), '.ssh', name))) instanceof Error)) {
          sources.push(`~/.ssh/${name}`);
        }
      } catch {
        // Not there.
      }
    }
    return sources;
  }

  /**
   * Counts the channels that keep the process alive: the SSH socket is unreferenced when none
   * does (a daemon-event watch unrefs its own), and an idle connection is closed soon after.
   */
  private hold(connection: Connection, change: number): void {
    connection.referenced += change;
    if (connection.referenced > 0) connection.socket.ref();
    else connection.socket.unref();
    clearTimeout(connection.idleTimer);
    connection.idleTimer = undefined;
    if (connection.open === 0) {
      connection.idleTimer = setTimeout(() => {
        if (connection.open > 0) return;
        connection.broken = true;
        this.connections.delete(connection);
        connection.client.end();
      }, IDLE_CLOSE_MS);
      connection.idleTimer.unref();
    }
  }

  /** The channel as a socket for http; it tells the pool when it closes and whether it holds the process. */
  private decorate(connection: Connection, channel: ClientChannel): DialedStream {
    let referenced = true;
    return new DialStdioStream(channel, this.target.display, {
      closed: () => {
        connection.open -= 1;
        this.hold(connection, referenced ? -1 : 0);
      },
      reference: (hold) => {
        if (hold === referenced) return;
        referenced = hold;
        this.hold(connection, hold ? +1 : -1);
      },
    });
  }
}

/**
 * One dial-stdio channel as the socket http wants: setTimeout, ref/unref and the like, and a
 * clear error when `docker system dial-stdio` fails on the remote (no docker there, no access to
 * the engine). Its end is held back until the remote command's exit status is known: sshd sends
 * the end of output before the status, and http would report a bare "socket hang up".
 */
class DialStdioStream extends Duplex implements DialedStream {
  private sawOutput = false;
  private stderr = '';
  private exitCode: number | null | undefined;
  private outputEnded = false;
  private released = false;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private referenced = true;

  constructor(
    private readonly channel: ClientChannel,
    private readonly display: string,
    private readonly pool: { closed: () => void; reference: (hold: boolean) => void },
  ) {
    super({ allowHalfOpen: true });
    channel.on('data', (chunk: Buffer) => {
      this.sawOutput = true;
      this.touch();
      if (!this.push(chunk)) channel.pause();
    });
    channel.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < MAX_STDERR_BYTES) this.stderr += chunk.toString('utf8');
    });
    channel.once('end', () => {
      this.outputEnded = true;
      this.settle();
    });
    channel.once('exit', (code: number | null) => {
      this.exitCode = code;
      this.settle();
    });
    channel.once('close', () => {
      if (this.exitCode === undefined) this.exitCode = null;
      this.outputEnded = true;
      this.settle();
      this.release();
    });
    channel.on('error', (error: Error) => this.destroy(error));
  }

  /** Ends the readable side once both the output's end and the exit status (or the close) are in. */
  private settle(): void {
    if (!this.outputEnded || this.exitCode === undefined || this.readableEnded || this.destroyed) return;
    if (this.exitCode !== null && this.exitCode !== 0 && !this.sawOutput) {
      const said = this.stderr.trim().split('\n')[0] ?? '';
      this.destroy(
        new InfraError(
          `ssh: ${this.display}: \`${DIAL_STDIO}\` failed on the remote (exit ${this.exitCode})${said ? `: ${said}` : ''}`,
          'unreachable',
        ),
      );
      return;
    }
    this.push(null);
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.idleTimer);
    this.pool.closed();
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    if (this.idleMs > 0 && !this.released) {
      this.idleTimer = setTimeout(() => this.emit('timeout'), this.idleMs);
      if (!this.referenced) this.idleTimer.unref();
    }
  }

  override _read(): void {
    this.channel.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.touch();
    this.channel.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.channel.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    (this.channel as Duplex).destroy();
    this.release();
    callback(error);
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.idleMs = ms;
    // As net.Socket does: 0 with a callback removes it (http relies on that for reused sockets).
    if (callback && ms === 0) this.removeListener('timeout', callback);
    else if (callback) this.once('timeout', callback);
    this.touch();
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    this.referenced = true;
    if (!this.released) this.pool.reference(true);
    return this;
  }

  unref(): this {
    this.referenced = false;
    if (!this.released) this.pool.reference(false);
    return this;
  }
}

/**
 * An http.Agent whose connections are dial-stdio channels (dockerode's `agent` option). Kept
 * alive between requests, as the unix socket's global agent is: each new channel costs a docker
 * CLI process on the remote.
 */
export class SshHttpAgent extends http.Agent {
  constructor(private readonly dialer: SshDialer) {
    super({ keepAlive: true, timeout: IDLE_CLOSE_MS });
  }

  override createConnection(
    _options: http.ClientRequestArgs,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): Duplex {
    this.dialer.dial().then(
      (stream) => callback?.(null, stream),
      (error: Error) => callback?.(error, undefined as unknown as Duplex),
    );
    return undefined as unknown as Duplex;
  }
}
