// (b) of the benchmark: the floor. Only the Engine API calls the scenario needs, raw HTTP on the
// engine's socket, no grader: build (cached), create + start the container, wait for its HTTP
// answer, one exec per command check, the HTTP checks, one image inspect, remove the container.
// Usage: node bench/floor.mjs PLAN.json (written by bench/run.mjs from bench/scenario).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import tar from 'tar-fs';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const socketPath = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
const agent = new http.Agent({ keepAlive: true });

/** One request; resolves with the status and the whole body. */
function request(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        agent,
        method,
        path: `/v1.41${path}`,
        headers: { 'Content-Type': 'application/json', ...headers },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body && typeof body.pipe === 'function') body.pipe(req);
    else req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function json(method, path, body) {
  const response = await request(method, path, body);
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.body}`);
  return response.body.length > 0 ? JSON.parse(response.body.toString()) : undefined;
}

/** The multiplexed exec stream split into stdout and stderr. */
function demux(buffer) {
  const out = [[], [], []];
  for (let at = 0; at + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(at + 4);
    out[buffer[at]]?.push(buffer.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return { stdout: Buffer.concat(out[1]).toString(), stderr: Buffer.concat(out[2]).toString() };
}

function get(port, path) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      })
      .on('error', reject);
  });
}

const tag = plan.tag;
const build = await request(
  'POST',
  `/build?t=${encodeURIComponent(tag)}&version=1&rm=1&forcerm=1`,
  tar.pack(plan.context),
  { 'Content-Type': 'application/x-tar' },
);
if (build.status !== 200 || build.body.includes('"errorDetail"')) throw new Error(`build: ${build.body}`);
const { Id: id } = await json('POST', `/containers/create?name=${plan.name}`, {
  Image: tag,
  // The benchmark's own run label: a neighbour's cleanup of unlabelled containers leaves it alone.
  Labels: { 'org.docker-autograder.run': plan.runLabel },
  ExposedPorts: { '8080/tcp': {} },
  HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
});
let failures = 0;
try {
  await json('POST', `/containers/${id}/start`);
  const state = await json('GET', `/containers/${id}/json`);
  const port = Number(state.NetworkSettings.Ports['8080/tcp'][0].HostPort);
  for (;;) {
    const ready = await get(port, plan.waitPath).catch(() => undefined);
    if (ready?.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const check of plan.execs) {
    const { Id: execId } = await json('POST', `/containers/${id}/exec`, {
      Cmd: check.argv,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await request('POST', `/exec/${execId}/start`, { Detach: false, Tty: false });
    demux(stream.body);
    const { ExitCode } = await json('GET', `/exec/${execId}/json`);
    if (check.exitCode !== undefined && ExitCode !== check.exitCode) failures += 1;
  }
  for (const path of plan.httpPaths) await get(port, path);
  await json('GET', `/images/${tag}/json`);
} finally {
  await json('DELETE', `/containers/${id}?force=1&v=1`);
  agent.destroy();
}
if (failures > 0) {
  console.error(`floor: ${failures} command checks had another exit code than expected`);
  process.exitCode = 1;
}
