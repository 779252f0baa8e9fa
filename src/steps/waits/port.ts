// `port: <n>`: a TCP connection to the port the container publishes for n succeeds and holds.
import net from 'node:net';
import { hostPortOf } from '../../run/resolve';
import { describeHttpError } from '../../shared/http-request';
import { ref } from '../../spec/json-schema';
import type { WaitDefinition } from './definition';
import { notPublished, unpublishedPending } from './published';

/**
 * docker-proxy accepts every connection on a published port and closes it within milliseconds
 * when nothing listens inside the container, so a port is open only if the connection survives
 * this long (or the server speaks first).
 */
const TCP_SETTLE_MS = 250;

export const portWait: WaitDefinition<'port'> = {
  key: 'port',
  schema: ref('port', 'A published port accepts TCP connections.'),
  validate(value, rules) {
    rules.published([], value);
  },
  of: (port) => ({
    expected: `port ${port} accepts TCP connections`,
    checkState: (state) => unpublishedPending(port, state),
    async probe(state, _context, timeoutMs) {
      const hostPort = hostPortOf(state, port);
      if (hostPort === undefined) return notPublished(port);
      const outcome = await probeTcp('127.0.0.1', hostPort, timeoutMs);
      return outcome === 'open' ? undefined : `port ${port}: ${outcome}`;
    },
  }),
};

/** 'open', or why not. */
export function probeTcp(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (outcome: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish('no connection'), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      // Held by a ref'd timer, like every wait: the probe cannot outlive its deadline.
      setTimeout(() => finish('open'), Math.min(TCP_SETTLE_MS, timeoutMs));
    });
    socket.once('data', () => finish('open'));
    socket.once('end', () => finish('the connection was closed at once (nothing listens on it)'));
    socket.once('close', () => finish('the connection was closed at once (nothing listens on it)'));
    socket.once('error', (error) => finish(describeHttpError(error)));
  });
}
