// HTTP requests to containers' published ports. node:http rather than fetch: Node 20's fetch
// can hang forever when docker-proxy accepts a connection and then resets it (ENVIRONMENT.md).
import http from 'node:http';

export interface HttpRequest {
  host: string;
  port: number;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Body bytes kept; the rest is read and dropped. */
  maxBodyBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  truncated: boolean;
}

export type HttpClient = (request: HttpRequest) => Promise<HttpResponse>;

const DEFAULT_MAX_BODY = 1024 * 1024;

export const httpRequest: HttpClient = (request) =>
  new Promise((resolve, reject) => {
    const maxBodyBytes = request.maxBodyBytes ?? DEFAULT_MAX_BODY;
    let settled = false;
    const finish = (error: Error | undefined, response?: HttpResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else if (response) resolve(response);
    };
    const req = http.request(
      {
        host: request.host,
        port: request.port,
        path: request.path,
        method: request.method ?? 'GET',
        headers: {
          ...request.headers,
          ...(request.body === undefined ? {} : { 'content-length': Buffer.byteLength(request.body) }),
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let truncated = false;
        res.on('data', (chunk: Buffer) => {
          if (kept >= maxBodyBytes) {
            truncated = true;
            return;
          }
          const slice = chunk.subarray(0, maxBodyBytes - kept);
          truncated ||= slice.length < chunk.length;
          chunks.push(slice);
          kept += slice.length;
        });
        res.on('end', () =>
          finish(undefined, {
            status: res.statusCode ?? 0,
            headers: flattenHeaders(res.headers),
            body: Buffer.concat(chunks).toString('utf8'),
            truncated,
          }),
        );
        res.on('error', (error) => finish(error));
      },
    );
    // Held by a ref'd timer: the whole exchange, not just idle time, is bounded.
    const timer = setTimeout(() => {
      req.destroy();
      finish(new Error(`no complete answer within ${request.timeoutMs} ms`));
    }, request.timeoutMs);
    req.on('error', (error) => finish(error));
    req.end(request.body);
  });

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

export function describeHttpError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ECONNREFUSED') return 'connection refused (nothing listens on that port)';
  if (code === 'ECONNRESET' || message === 'socket hang up') {
    return 'connection reset (the container accepted nothing on that port, or closed it)';
  }
  return code ? `${code}: ${message}` : message;
}
