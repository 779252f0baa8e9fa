// Talking to a unix socket (the policy proxy's, a daemon's) as raw bytes or plain HTTP, for unit
// and integration tests alike.
import http from 'node:http';
import net from 'node:net';

/** Whether something listens on the unix socket. */
export function accepts(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Raw bytes to the socket; everything it answers until it closes the connection, or until
 * `until` holds of what came. Rejects when neither happens within timeoutMs.
 */
export function rawExchange(
  socketPath: string,
  bytes: string,
  options: { until?: (received: string) => boolean; timeoutMs: number },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of the answer; received: ${JSON.stringify(received)}`));
    }, options.timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (options.until?.(received)) finish();
    });
    socket.on('close', finish);
    socket.on('error', finish);
    socket.write(bytes);
  });
}

/** The headers that ask the engine to upgrade the connection, as `docker exec` and `docker attach` send them. */
export const UPGRADE = { Connection: 'Upgrade', Upgrade: 'tcp' };

/**
 * One HTTP/1.1 request as the bytes a script would write: `headers` after the Host, then a JSON
 * body's Content-Type and Content-Length when there is a body.
 */
export function rawRequest(
  method: string,
  url: string,
  body?: string,
  headers: Record<string, string> = {},
): string {
  const lines = [
    `${method} ${url} HTTP/1.1`,
    'Host: docker',
    ...Object.entries(headers).map(([key, value]) => `${key}: ${value}`),
  ];
  if (body !== undefined)
    lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`;
}

/** One HTTP request over the socket, a JSON body when given; the status and the whole answer. */
export function socketRequest(
  socketPath: string,
  method: string,
  url: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        socketPath,
        method,
        path: url,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
