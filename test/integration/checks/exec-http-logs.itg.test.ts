import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExerciseResult } from '../../../src/report/model';
import {
  check,
  docker,
  explain,
  gradeInline,
  leftovers,
  newRunId,
  removeEverything,
  runLabel,
} from '../../support/engine-checks';

const runId = newRunId('ehl');
const stopped = `${runId}-stopped`;

const SERVER = `import http.server

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello " + self.headers.get("X-Name", "nobody")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("X-Answer", "42")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

print("serving on 8080", flush=True)
http.server.HTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
`;

const SPEC = `version: 1
id: test/exec-http-logs
title: exec, http and logs
steps:
  - build: { name: app }
  - run:
      name: web
      image: app
      ports: [8080]
      wait: { http: { port: 8080, path: / }, timeout: 30s }
checks:
  - name: exec passes
    exec: { container: web, command: 'echo "$GREETING from $(pwd)"', env: { GREETING: hi }, workdir: /srv }
    expect: { stdout: hi from /srv, stderr: "", exitCode: 0 }
  - name: exec fails
    exec: { container: web, command: [sh, -c, "echo oops >&2; exit 3"] }
    expect: { exitCode: 0 }
  - name: exec on a missing container
    exec: { container: ${runId}-nothing, command: ["true"] }
    expect: { exitCode: 0 }
  - name: http passes
    http: { container: web, port: 8080, path: /any }
    expect: { status: 200, headers: { x-answer: "42", Content-Type: { contains: text/plain } }, body: hello nobody }
  - name: http sends headers
    http: { container: web, port: 8080, path: /, headers: { X-Name: student } }
    expect: { body: hello student }
  - name: http fails
    http: { container: web, port: 8080, path: / }
    expect: { status: 404 }
  - name: http header fails
    http: { container: web, port: 8080, path: / }
    expect: { headers: { x-answer: "41" } }
  - name: logs pass
    logs: { container: web }
    expect: { stdout: { contains: serving on 8080 }, stderr: { contains: "GET /any" }, output: { matches: "^serving on 8080$" } }
  - name: logs of a stopped container
    logs: { container: ${stopped} }
    expect: { stdout: out-line, stderr: err-line, output: "out-line\\nerr-line" }
  - name: logs fail
    logs: { container: ${stopped} }
    expect: { stdout: { contains: serving } }
`;

let result: ExerciseResult;
let log: string[];

beforeAll(async () => {
  // A container that printed on both streams and exited, as a student's `docker run` leaves it.
  await docker(
    'run',
    '--name',
    stopped,
    ...runLabel(runId),
    'busybox:latest',
    'sh',
    '-c',
    'echo out-line; echo err-line >&2; exit 3',
  ).catch(() => undefined);
  ({ result, log } = await gradeInline(runId, SPEC, {
    Dockerfile: 'FROM python:3.11-slim\nCOPY server.py /srv/server.py\nCMD ["python3", "/srv/server.py"]\n',
    'server.py': SERVER,
  }));
});

afterAll(async () => {
  await removeEverything(runId);
});

describe('exec check', () => {
  it('passes with env and workdir given to the command', () => {
    expect(check(result, 'exec passes'), explain(result, log)).toMatchObject({ status: 'pass', points: 1 });
  });

  it('fails with the exit code as actual', () => {
    expect(check(result, 'exec fails'), explain(result, log)).toMatchObject({
      status: 'fail',
      message: 'exitCode not as expected',
      expected: 'equals 0',
      actual: '3',
    });
  });

  it('says which container is missing', () => {
    expect(check(result, 'exec on a missing container'), explain(result, log)).toMatchObject({
      status: 'fail',
      message: `there is no container "${runId}-nothing"`,
    });
  });
});

describe('http check', () => {
  it('passes on status, headers (any case) and body', () => {
    expect(check(result, 'http passes'), explain(result, log)).toMatchObject({ status: 'pass' });
  });

  it("sends the check's headers", () => {
    expect(check(result, 'http sends headers'), explain(result, log)).toMatchObject({ status: 'pass' });
  });

  it('fails with the status as actual', () => {
    expect(check(result, 'http fails'), explain(result, log)).toMatchObject({
      status: 'fail',
      message: 'status not as expected',
      expected: 'equals 404',
      actual: '200',
    });
  });

  it('fails on a header with its value as actual', () => {
    expect(check(result, 'http header fails'), explain(result, log)).toMatchObject({
      status: 'fail',
      message: 'headers.x-answer not as expected',
      expected: 'equals "41"',
      actual: '42',
    });
  });
});

describe('logs check', () => {
  it('reads stdout and stderr of a running container', () => {
    expect(check(result, 'logs pass'), explain(result, log)).toMatchObject({ status: 'pass' });
  });

  it('reads a stopped container too', () => {
    expect(check(result, 'logs of a stopped container'), explain(result, log)).toMatchObject({
      status: 'pass',
    });
  });

  it('fails with the output as actual', () => {
    expect(check(result, 'logs fail'), explain(result, log)).toMatchObject({
      status: 'fail',
      message: 'stdout not as expected',
      expected: 'contains "serving"',
      actual: 'out-line\n',
    });
  });

  it('leaves nothing of the run on the engine', async () => {
    expect(await leftovers(runId)).toEqual([]);
  });
});
