// A local stand-in for api.github.com: node:http on 127.0.0.1 with an ephemeral port, speaking
// just the endpoints the action uses, with GitHub's response shapes (built from the examples in
// GitHub's OpenAPI description). Every request is recorded and checked against the description:
// an unknown endpoint, an unknown query parameter or a body that does not match the operation's
// requestBody schema is answered like GitHub would (404 / 422) *and* listed in `violations`,
// which the tests assert to be empty. Limits GitHub enforces beyond the schema (comment size,
// annotation title and message size, per_page) are checked too.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isObject, type Json, type JsonObject, OpenApi, type Operation } from './openapi';

export interface FakeUser {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}

export interface TokenInfo {
  user: FakeUser;
  /** An installation token (like GITHUB_TOKEN): GET /user answers 403. */
  installation: boolean;
  /** A fork's pull_request token is read-only. */
  canWrite: boolean;
}

export interface FakeComment {
  id: number;
  issueNumber: number;
  body: string;
  user: FakeUser;
  createdAt: string;
  updatedAt: string;
}

export interface FakePull {
  number: number;
  state: 'open' | 'closed';
  headSha: string;
  headRef: string;
  /** Owner of the head repository (a fork's owner for a fork). */
  headOwner: string;
}

export interface FakeCheckRun {
  id: number;
  name: string;
  headSha: string;
  conclusion: string;
  title: string;
  summary: string;
  annotations: JsonObject[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: Json;
  token?: string;
  status: number;
}

export const GITHUB_ACTIONS_BOT: FakeUser = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };
export const INSTRUCTOR: FakeUser = { login: 'instructor', id: 1001, type: 'User' };
export const STUDENT: FakeUser = { login: 'student', id: 1002, type: 'User' };

/** The kinds of token a run of the action may hold, by what GitHub lets each one do. */
export const TOKEN_KINDS = {
  /** GITHUB_TOKEN: acts as github-actions[bot] and cannot look itself up. */
  workflow: { user: GITHUB_ACTIONS_BOT, installation: true, canWrite: true },
  /** The token of a fork's pull_request run: read-only. */
  forkPullRequest: { user: GITHUB_ACTIONS_BOT, installation: true, canWrite: false },
  /** A personal access token: GET /user answers. */
  personal: { user: INSTRUCTOR, installation: false, canWrite: true },
} satisfies Record<string, TokenInfo>;

const COMMENT_MAX = 65_536;
const ANNOTATION_TITLE_MAX = 255;
const ANNOTATION_MESSAGE_MAX = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let openApi: OpenApi | undefined;

export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  readonly comments: FakeComment[] = [];
  readonly pulls: FakePull[] = [];
  readonly checkRuns: FakeCheckRun[] = [];
  readonly tokens = new Map<string, TokenInfo>();
  /** Like GitHub for forks: "pull requests associated with a commit" finds nothing. */
  commitPullsMissForks = false;
  private nextId = 500;
  private readonly api: OpenApi;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly owner: string,
    readonly repo: string,
    api: OpenApi,
  ) {
    this.api = api;
  }

  /** Listens on an ephemeral port of 127.0.0.1, accepting these tokens (more: `tokens.set`). */
  static async start(
    owner = 'course',
    repo = 'submission',
    tokens: Record<string, TokenInfo> = {},
  ): Promise<FakeGitHub> {
    openApi ??= new OpenApi();
    const api = openApi;
    let fake: FakeGitHub | undefined;
    const server = createServer((request, response) => {
      if (fake === undefined) {
        response.writeHead(503).end();
        return;
      }
      fake.handle(request, response).catch((error: unknown) => {
        fake?.violations.push(`fake server crashed: ${String(error)}`);
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeGitHub(server, `http://127.0.0.1:${port}`, owner, repo, api);
    for (const [token, info] of Object.entries(tokens)) fake.tokens.set(token, info);
    return fake;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  addComment(issueNumber: number, user: FakeUser, body: string): FakeComment {
    const now = new Date().toISOString();
    const comment = { id: this.id(), issueNumber, body, user, createdAt: now, updatedAt: now };
    this.comments.push(comment);
    return comment;
  }

  /** The recorded requests that changed something. */
  writes(): RecordedRequest[] {
    return this.requests.filter((request) => request.method !== 'GET');
  }

  private id(): number {
    this.nextId += 1;
    return this.nextId;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const method = request.method ?? 'GET';
    const raw = await readBody(request);
    const auth = /^(?:token|bearer) (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const recorded: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      token: auth,
      status: 0,
    };
    this.requests.push(recorded);
    const send = (
      status: number,
      body: Json,
      operation?: Operation,
      headers: Record<string, string> = {},
    ): void => {
      recorded.status = status;
      if (operation !== undefined && status < 400) {
        for (const problem of this.api.responseProblems(operation, status, body)) {
          this.violations.push(`fake response: ${problem}`);
        }
      }
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      response.end(JSON.stringify(body));
    };

    const operation = this.api.find(method, url.pathname);
    if (operation === undefined) {
      this.violations.push(`no such GitHub endpoint: ${method} ${url.pathname}`);
      send(404, error('Not Found'));
      return;
    }
    let body: Json | undefined;
    if (raw !== '') {
      try {
        body = JSON.parse(raw) as Json;
        recorded.body = body;
      } catch {
        this.violations.push(`${method} ${url.pathname}: the body is not JSON`);
        send(400, error('Problems parsing JSON'));
        return;
      }
    }
    const problems = [
      ...this.api.queryProblems(operation, url.searchParams),
      ...this.api.requestBodyProblems(operation, body),
      ...this.limits(url, body),
    ];
    if (problems.length > 0) {
      this.violations.push(...problems);
      send(422, error(`Validation Failed: ${problems.join('; ')}`));
      return;
    }
    const token = auth === undefined ? undefined : this.tokens.get(auth);
    if (token === undefined) {
      send(401, error('Bad credentials'));
      return;
    }
    try {
      const [status, result, headers] = this.route(method, url, body, token, operation);
      send(status, result, operation, headers);
    } catch (thrown) {
      if (!(thrown instanceof HttpError)) throw thrown;
      send(thrown.status, error(thrown.message));
    }
  }

  // Limits GitHub documents in prose rather than in the schema.
  private limits(url: URL, body: Json | undefined): string[] {
    const problems: string[] = [];
    const perPage = url.searchParams.get('per_page');
    if (perPage !== null && Number(perPage) > 100) problems.push(`per_page ${perPage} is over 100`);
    if (isObject(body)) {
      if (typeof body.body === 'string' && body.body.length > COMMENT_MAX) {
        problems.push(`comment body is too long (${body.body.length} characters, maximum is ${COMMENT_MAX})`);
      }
      const output = body.output;
      const annotations = isObject(output) ? output.annotations : undefined;
      for (const annotation of Array.isArray(annotations) ? annotations : []) {
        if (!isObject(annotation)) continue;
        if (typeof annotation.title === 'string' && annotation.title.length > ANNOTATION_TITLE_MAX) {
          problems.push('annotation title is longer than 255 characters');
        }
        if (
          typeof annotation.message === 'string' &&
          Buffer.byteLength(annotation.message) > ANNOTATION_MESSAGE_MAX
        ) {
          problems.push('annotation message is larger than 64 KB');
        }
        if (annotation.start_column !== undefined && annotation.start_line !== annotation.end_line) {
          problems.push('annotation columns on a multi-line annotation');
        }
      }
    }
    return problems;
  }

  private route(
    method: string,
    url: URL,
    body: Json | undefined,
    token: TokenInfo,
    operation: Operation,
  ): [number, Json, Record<string, string>?] {
    const segments = url.pathname.split('/').filter(Boolean);
    if (method === 'GET' && url.pathname === '/user') {
      if (token.installation) throw new HttpError(403, 'Resource not accessible by integration');
      const user = this.api.example(operation, 200) as JsonObject;
      return [200, { ...user, login: token.user.login, id: token.user.id, type: token.user.type }];
    }
    const [, owner, repo, ...rest] = segments;
    if (segments[0] !== 'repos' || owner !== this.owner || repo !== this.repo) {
      throw new HttpError(404, 'Not Found');
    }
    const write = method !== 'GET';
    if (write && !token.canWrite) throw new HttpError(403, 'Resource not accessible by integration');
    const route = `${method} ${rest.map((segment) => (/^(?:\d+|[0-9a-f]{40})$/.test(segment) ? '*' : segment)).join('/')}`;
    const data = isObject(body) ? body : {};

    switch (route) {
      case 'GET issues/*/comments': {
        const issue = Number(rest[1]);
        const all = this.comments.filter((comment) => comment.issueNumber === issue);
        const perPage = Number(url.searchParams.get('per_page') ?? 30);
        const page = Number(url.searchParams.get('page') ?? 1);
        const slice = all.slice((page - 1) * perPage, page * perPage);
        const headers: Record<string, string> = {};
        if (page * perPage < all.length) {
          const next = new URL(url);
          next.searchParams.set('page', String(page + 1));
          headers.link = `<${next.toString()}>; rel="next"`;
        }
        return [200, slice.map((comment) => this.commentJson(operation, comment)), headers];
      }
      case 'POST issues/*/comments': {
        const comment = this.addComment(Number(rest[1]), token.user, String(data.body));
        return [201, this.commentJson(operation, comment)];
      }
      case 'PATCH issues/comments/*': {
        const comment = this.comments.find((candidate) => candidate.id === Number(rest[2]));
        if (comment === undefined) throw new HttpError(404, 'Not Found');
        // GitHub lets a token edit only comments its identity wrote (or with admin rights).
        if (comment.user.login !== token.user.login)
          throw new HttpError(403, 'Must have admin rights to Repository.');
        comment.body = String(data.body);
        comment.updatedAt = new Date().toISOString();
        return [200, this.commentJson(operation, comment)];
      }
      case 'POST check-runs': {
        const output = isObject(data.output) ? data.output : {};
        const run: FakeCheckRun = {
          id: this.id(),
          name: String(data.name),
          headSha: String(data.head_sha),
          conclusion: String(data.conclusion),
          title: String(output.title),
          summary: String(output.summary),
          annotations: annotationsOf(output),
        };
        this.checkRuns.push(run);
        return [201, this.checkRunJson(operation, run)];
      }
      case 'PATCH check-runs/*': {
        const run = this.checkRuns.find((candidate) => candidate.id === Number(rest[1]));
        if (run === undefined) throw new HttpError(404, 'Not Found');
        const output = isObject(data.output) ? data.output : {};
        // Annotations append; the rest of the output is replaced.
        run.annotations.push(...annotationsOf(output));
        run.summary = String(output.summary);
        return [200, this.checkRunJson(operation, run)];
      }
      case 'GET commits/*/pulls': {
        const sha = rest[1];
        const pulls = this.pulls.filter(
          (pull) => pull.headSha === sha && !(this.commitPullsMissForks && pull.headOwner !== this.owner),
        );
        return [200, pulls.map((pull) => this.pullJson(operation, pull))];
      }
      case 'GET pulls': {
        const state = url.searchParams.get('state') ?? 'open';
        const head = url.searchParams.get('head');
        const pulls = this.pulls.filter(
          (pull) =>
            (state === 'all' || pull.state === state) &&
            (head === null || head === `${pull.headOwner}:${pull.headRef}`),
        );
        return [200, pulls.map((pull) => this.pullJson(operation, pull))];
      }
      default:
        this.violations.push(`the fake does not implement ${method} ${url.pathname}`);
        throw new HttpError(404, 'Not Found');
    }
  }

  private commentJson(operation: Operation, comment: FakeComment): Json {
    const example = firstOf(this.api.example(operation, operation.method === 'POST' ? 201 : 200));
    const base = `${this.url}/repos/${this.owner}/${this.repo}`;
    return {
      ...example,
      id: comment.id,
      node_id: `IC_${comment.id}`,
      url: `${base}/issues/comments/${comment.id}`,
      html_url: `https://github.com/${this.owner}/${this.repo}/pull/${comment.issueNumber}#issuecomment-${comment.id}`,
      issue_url: `${base}/issues/${comment.issueNumber}`,
      body: comment.body,
      user: { ...(isObject(example.user) ? example.user : {}), ...comment.user },
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
    };
  }

  private checkRunJson(operation: Operation, run: FakeCheckRun): Json {
    const example = firstOf(this.api.example(operation, operation.method === 'POST' ? 201 : 200));
    const output = isObject(example.output) ? example.output : {};
    return {
      ...example,
      id: run.id,
      name: run.name,
      head_sha: run.headSha,
      status: 'completed',
      conclusion: run.conclusion,
      html_url: `https://github.com/${this.owner}/${this.repo}/runs/${run.id}`,
      output: {
        ...output,
        title: run.title,
        summary: run.summary,
        annotations_count: run.annotations.length,
      },
    };
  }

  private pullJson(operation: Operation, pull: FakePull): Json {
    const example = firstOf(this.api.example(operation, 200));
    const head = isObject(example.head) ? example.head : {};
    const base = isObject(example.base) ? example.base : {};
    const baseRepo = isObject(base.repo) ? base.repo : {};
    return {
      ...example,
      number: pull.number,
      state: pull.state,
      // GitHub's example lists teams without their required `type`; none are needed here.
      requested_teams: [],
      head: { ...head, sha: pull.headSha, ref: pull.headRef, label: `${pull.headOwner}:${pull.headRef}` },
      base: { ...base, repo: { ...baseRepo, name: this.repo, full_name: `${this.owner}/${this.repo}` } },
    };
  }
}

function annotationsOf(output: JsonObject): JsonObject[] {
  return Array.isArray(output.annotations) ? output.annotations.filter(isObject) : [];
}

function firstOf(example: Json): JsonObject {
  const value = Array.isArray(example) ? example[0] : example;
  if (!isObject(value)) throw new Error('the example is not an object');
  return value;
}

function error(message: string): Json {
  return { message, documentation_url: 'https://docs.github.com/rest' };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
