// The exec, http and logs checks on the real engine, through grade(): a passing and a failing case
// each, and the failing case's expected vs actual.
import { describe } from 'vitest';
import { failed, failedOn, itFindsChecks, passed } from '../../support/check-tables';
import { exerciseYaml, gradedOnce, itLeavesNothingOfTheRun, uniqueRunId } from '../../support/inline-grading';

const runId = uniqueRunId('checksehl');
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

const SPEC = exerciseYaml('test/exec-http-logs', {
  steps: `
  - build: { name: app }
  - run:
      name: web
      image: app
      ports: [8080]
      wait: { http: { port: 8080, path: / }, timeout: 30s }
`,
  checks: `
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
`,
});

const graded = gradedOnce(runId, async ({ stoppedContainer }) => {
  // A container that printed on both streams and exited.
  await stoppedContainer(stopped, 'echo out-line; echo err-line >&2; exit 3');
  const files = {
    Dockerfile: 'FROM python:3.11-slim\nCOPY server.py /srv/server.py\nCMD ["python3", "/srv/server.py"]\n',
    'server.py': SERVER,
  };
  return { yaml: SPEC, files };
});

describe('exec check', () => {
  itFindsChecks(graded, [
    ['passes with env and workdir given to the command', { 'exec passes': { ...passed, points: 1 } }],
    ['fails with the exit code as actual', { 'exec fails': failedOn('exitCode', 'equals 0', '3') }],
    [
      'says which container is missing',
      { 'exec on a missing container': failed(`there is no container "${runId}-nothing"`) },
    ],
  ]);
});

describe('http check', () => {
  itFindsChecks(graded, [
    ['passes on status, headers (any case) and body', { 'http passes': passed }],
    ["sends the check's headers", { 'http sends headers': passed }],
    ['fails with the status as actual', { 'http fails': failedOn('status', 'equals 404', '200') }],
    [
      'fails on a header with its value as actual',
      { 'http header fails': failedOn('headers.x-answer', 'equals "41"', '42') },
    ],
  ]);
});

describe('logs check', () => {
  itFindsChecks(graded, [
    ['reads stdout and stderr of a running container', { 'logs pass': passed }],
    ['reads a stopped container too', { 'logs of a stopped container': passed }],
    [
      'fails with the output as actual',
      { 'logs fail': failedOn('stdout', 'contains "serving"', 'out-line\n') },
    ],
  ]);
  itLeavesNothingOfTheRun(runId);
});
