// The engine's half of a request the gate let through: the request forwarded with the gate's
// own body (never the client's form or stray bytes), the answer relayed back with the run's
// names unscoped and the grader's labels removed, and hijacked connections (attach, exec) piped
// raw only once the engine switched protocols.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { VirtualNames } from '../naming/virtual-names';
import type { Plan, PlanGate } from './plan';
import { type Admitted, planRequest } from './planner';
import { Refusal } from './policy';
import { apiPath, matchRoute } from './routes';
import { readCapped, readUpgradeBody, unscopeLines } from './streams';
import { type BodyBudget, checkBody, checkJsonKeys, checkQuery, parseJsonBody } from './transport';
import { upstreamRequestOptions } from './upstream';
import { withoutOurLabels } from './visibility';

/** What the relay reads of the gate's server. */
export interface RelayHost extends PlanGate {
  names: VirtualNames;
  bodyBudget: BodyBudget;
  bounds: { bodyDeadlineMs: number };
  /** Open connections, the engine's hijacked ones included, closed with the gate. */
  connections: Set<Duplex>;
  engineErrors: string[];
  /** Answers a failed request (a refusal, a student's fault, or the engine's). */
  fail(response: http.ServerResponse, error: unknown, request?: http.IncomingMessage): void;
  failRaw(socket: Duplex, error: unknown, request?: http.IncomingMessage): void;
  /** Notes what the student's command waits for (inFlight()); returns its end. */
  track(describe: string | undefined): () => void;
}

/** The engine's answer when its address pools are used up: the engine's fault, not the student's. */
const POOL_EXHAUSTED = /could not find an available, non-overlapping IPv[46] address pool/i;
/** Answers the proxy rewrites (inspections, lists, errors) beyond this size are an engine fault. */
const MAX_JSON_ANSWER_BYTES = 32 * 1024 * 1024;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
]);

/**
 * Hijacked requests (attach, exec start with `Upgrade: tcp`): checked, sent on a connection of
 * their own, and piped both ways raw only once the engine switched protocols (101). Until then
 * nothing else the client sends reaches the engine: after any other answer (an error, a
 * detached exec's 200) the connection is closed, so that no second request can follow on it
 * unchecked.
 */
export async function handleUpgrade(
  host: RelayHost,
  request: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  let plan: Plan;
  let payload: Buffer | undefined;
  let rest: Buffer;
  try {
    const matched = matchRoute(request.method ?? 'GET', request.url ?? '/');
    const route = matched.route;
    const execStart = route.kind === 'exec' && route.action === 'start';
    const hijackable =
      (route.kind === 'container' && (route.action === 'attach' || route.action === 'attach/ws')) ||
      execStart;
    if (!hijackable && route.kind !== 'refused') {
      throw new Refusal(
        `connection upgrade is not allowed on ${request.method} ${apiPath(request.url ?? '')}`,
      );
    }
    const declaration = matched.declaration;
    if (route.kind === 'refused' || declaration === undefined)
      throw new Refusal(
        route.kind === 'refused' ? route.message : 'not allowed',
        route.kind === 'refused' ? route.status : 403,
      );
    const query = checkQuery(request.url ?? '/', declaration);
    checkBody(request, declaration);
    const read = await readUpgradeBody(request, socket, head, host.bodyBudget, host.bounds.bodyDeadlineMs);
    rest = read.rest;
    plan = await planRequest(host, request, route, { query, pipeBody: false });
    if (execStart) {
      const start = checkJsonKeys(parseJsonBody(read.body.toString('utf8')), declaration);
      if (start.Detach === true) {
        throw new Refusal(
          'a detached exec cannot be started on an upgraded connection: use docker exec -d',
          400,
        );
      }
      payload = Buffer.from(JSON.stringify(start));
    } else if (read.body.length > 0) {
      throw new Refusal(`${request.method} ${apiPath(request.url ?? '')} takes no request body`, 400);
    }
  } catch (error) {
    host.failRaw(socket, error, request);
    return;
  }
  const headers: http.OutgoingHttpHeaders = {};
  for (const [key, value] of Object.entries(request.headers)) {
    if (!HOP_BY_HOP.has(key) && key !== 'content-length' && value !== undefined) headers[key] = value;
  }
  headers.host = 'docker';
  headers.connection = 'Upgrade';
  headers.upgrade = request.headers.upgrade ?? 'tcp';
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const done = host.track(plan.describe);
  const upstreamRequest = requestUpstream(host, request.method, plan.url, headers);
  let switched = false;
  const abandon = (): void => {
    if (!switched) upstreamRequest.destroy();
  };
  socket.on('error', abandon);
  socket.on('close', abandon);
  upstreamRequest.on('error', (error) => {
    done();
    if (!socket.destroyed) host.failRaw(socket, error, request);
  });
  upstreamRequest.on('response', (answer) => {
    relayAndClose(host, answer, socket).finally(() => {
      done();
      upstreamRequest.destroy();
    });
  });
  upstreamRequest.on('upgrade', (answer: http.IncomingMessage, upstream: Duplex, upstreamHead: Buffer) => {
    switched = true;
    pipeUpgraded(host, answer, socket, upstream, upstreamHead, rest, done);
  });
  upstreamRequest.end(payload);
}

/** The engine's answer to an upgrade request that it did not upgrade, then the end of the connection. */
async function relayAndClose(host: RelayHost, answer: http.IncomingMessage, socket: Duplex): Promise<void> {
  let body: string;
  try {
    body = host.names.unscope(
      await readCapped(
        answer,
        MAX_JSON_ANSWER_BYTES,
        () => new Error(`the engine's answer is larger than ${MAX_JSON_ANSWER_BYTES / 1024 / 1024} MiB`),
      ),
    );
  } catch (error) {
    host.failRaw(socket, error);
    return;
  }
  const lines = [`HTTP/1.1 ${answer.statusCode ?? 502} ${answer.statusMessage ?? ''}`];
  for (let index = 0; index + 1 < answer.rawHeaders.length; index += 2) {
    const key = answer.rawHeaders[index] ?? '';
    if (!HOP_BY_HOP.has(key.toLowerCase()) && key.toLowerCase() !== 'content-length')
      lines.push(`${key}: ${answer.rawHeaders[index + 1]}`);
  }
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close');
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function pipeUpgraded(
  host: RelayHost,
  answer: http.IncomingMessage,
  socket: Duplex,
  upstream: Duplex,
  upstreamHead: Buffer,
  rest: Buffer,
  done: () => void,
): void {
  host.connections.add(upstream);
  const lines = [`HTTP/1.1 101 ${answer.statusMessage ?? 'UPGRADED'}`];
  for (let index = 0; index + 1 < answer.rawHeaders.length; index += 2) {
    lines.push(`${answer.rawHeaders[index]}: ${answer.rawHeaders[index + 1]}`);
  }
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (upstreamHead.length > 0) socket.write(upstreamHead);
  if (rest.length > 0) upstream.write(rest);
  let closed = 0;
  const finish = (): void => {
    closed += 1;
    if (closed === 1) return;
    done();
    host.connections.delete(upstream);
  };
  const destroyBoth = (): void => {
    socket.destroy();
    upstream.destroy();
  };
  socket.on('error', destroyBoth);
  upstream.on('error', destroyBoth);
  socket.on('close', () => {
    upstream.destroy();
    finish();
  });
  upstream.on('close', () => {
    // Half-closed by the engine (the container exited): the client reads what is left, then the end.
    socket.end();
    finish();
  });
  // Half-close passes through both ways: the CLI closes its side when stdin ends.
  socket.pipe(upstream);
  upstream.pipe(socket);
  socket.resume();
}

export async function forward(
  host: RelayHost,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  plan: Plan,
  admitted: Admitted,
): Promise<void> {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [key, value] of Object.entries(request.headers)) {
    if (!HOP_BY_HOP.has(key) && key !== 'content-type' && key !== 'content-length' && value !== undefined)
      headers[key] = value;
  }
  headers.host = 'docker';
  // The body the engine gets is the proxy's: the checked JSON re-serialised, or the tar piped
  // with its type set; never a form body the engine would read parameters from.
  let payload: Buffer | undefined;
  const json = plan.body ?? admitted.json;
  if (json !== undefined) {
    payload = Buffer.from(JSON.stringify(json));
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  } else if (admitted.pipeBody) {
    headers['content-type'] = 'application/x-tar';
    if (request.headers['content-length'] !== undefined)
      headers['content-length'] = request.headers['content-length'];
  }
  const upstreamRequest = requestUpstream(host, request.method, plan.url, headers);
  // The student's command ended (Ctrl-C, killed at the time limit): the engine call ends too.
  // What fails after that is the proxy's own doing, not the engine's.
  let abandoned = false;
  const abandon = (): void => {
    if (response.writableFinished) return;
    abandoned = true;
    upstreamRequest.destroy();
  };
  response.on('close', abandon);
  await new Promise<void>((resolve) => {
    const failed = (error: unknown): void => {
      if (!abandoned) host.fail(response, error, request);
      resolve();
    };
    upstreamRequest.on('error', failed);
    upstreamRequest.on('response', (engineAnswer) => {
      answer(host, engineAnswer, response, plan).then(resolve, failed);
    });
    if (payload !== undefined) {
      upstreamRequest.end(payload);
    } else if (plan.upload !== undefined) {
      plan.upload().pipe(upstreamRequest);
    } else if (admitted.pipeBody) {
      request.pipe(upstreamRequest);
    } else {
      upstreamRequest.end();
    }
  });
}

async function answer(
  host: RelayHost,
  answer: http.IncomingMessage,
  response: http.ServerResponse,
  plan: Plan,
): Promise<void> {
  const status = answer.statusCode ?? 502;
  const headers: http.OutgoingHttpHeaders = {};
  for (const [key, value] of Object.entries(answer.headers)) {
    if (!HOP_BY_HOP.has(key) && key !== 'content-length' && value !== undefined) headers[key] = value;
  }
  const contentType = String(answer.headers['content-type'] ?? '');
  const isError = status >= 400 && contentType.includes('json');
  if (plan.answer === 'json' || isError) {
    const text = await readCapped(
      answer,
      MAX_JSON_ANSWER_BYTES,
      () => new Error(`the engine's answer is larger than ${MAX_JSON_ANSWER_BYTES / 1024 / 1024} MiB`),
    );
    let output = host.names.unscope(text);
    // The engine's address pools are shared by every grading: their end is not this student's doing.
    if (isError && POOL_EXHAUSTED.test(text)) {
      host.engineErrors.push(`${plan.url.split('?')[0]}: ${host.names.unscope(text).trim()}`);
    }
    // A success that is not JSON (Podman answers network connect with a plain `OK`) passes as
    // it is, unless the plan filters what the student sees: then only JSON can be filtered.
    const plainText = !contentType.includes('json') && plan.transform === undefined;
    if (!isError && status < 300 && text !== '' && !plainText) {
      const parsed: unknown = JSON.parse(output);
      const transformed = plan.transform === undefined ? parsed : await plan.transform(parsed);
      output = JSON.stringify(withoutOurLabels(transformed));
    }
    if (status < 300) plan.after?.();
    headers['content-length'] = String(Buffer.byteLength(output));
    response.writeHead(status, headers);
    response.end(output);
    return;
  }
  if (answer.headers['content-length'] !== undefined && plan.answer === 'pipe') {
    headers['content-length'] = answer.headers['content-length'];
  }
  if (status < 300) plan.after?.();
  response.writeHead(status, headers);
  // Streams (logs -f, events, wait, build output): the CLI needs the headers before the first byte.
  response.flushHeaders();
  const body = plan.answer === 'lines' ? answer.pipe(unscopeLines(host.names)) : answer;
  await new Promise<void>((resolve) => {
    body.pipe(response);
    response.on('close', resolve);
    response.on('finish', resolve);
    answer.on('error', () => {
      response.destroy();
      resolve();
    });
  });
}

/** The student's request, as the plan rewrote it, on a fresh connection to the engine. */
function requestUpstream(
  host: RelayHost,
  method: string | undefined,
  url: string,
  headers: http.OutgoingHttpHeaders,
): http.ClientRequest {
  return http.request({ ...upstreamRequestOptions(host.upstream), method, path: url, headers });
}
