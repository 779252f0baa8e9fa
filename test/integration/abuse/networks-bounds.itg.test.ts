// Networks and the gate's own bounds, on the real engine (issue 13, deliverables 5 and 7): a
// student's IPAM options and fixed addresses, more networks than an exercise may have, an engine
// whose address pools are used up, and a flood of stalled request bodies. Each case asserts the
// safe outcome: a refusal and nothing made, the engine's fault kept apart from the student's,
// and the grader's own memory bounded.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NETWORKS_PER_EXERCISE, type PolicyProxy } from '../../../src/proxy/index';
import { type PrivateEngine, startPrivateEngine } from '../../support/private-engine';
import { startRunProxy } from '../../support/proxy-for-run';
import { ProxyRun, removeRunObjects, runObjects, words } from '../../support/proxy-on-engine';

const execFileAsync = promisify(execFile);
const run = new ProxyRun('abuse-net');
const { runId } = run;
/** A subnet no test or engine here hands out: a route to it can only come from this test. */
const ASKED_SUBNET = '10.213.77.0/24';

beforeAll(() => run.start());
afterAll(() => run.stop());

describe('IPAM options and fixed addresses', () => {
  it('are refused on network create, run and connect: no network, no route of the student’s', async () => {
    for (const flags of [
      ['--subnet', ASKED_SUBNET],
      ['--subnet', ASKED_SUBNET, '--gateway', '10.213.77.1'],
      ['--subnet', ASKED_SUBNET, '--ip-range', '10.213.77.0/25'],
      ['--subnet', ASKED_SUBNET, '--aux-address', 'host=10.213.77.5'],
      ['--ipam-driver', 'null'],
      ['--ipam-opt', 'foo=bar'],
    ]) {
      const result = await run.docker(['network', 'create', ...flags, `ipam-${flags[0]?.slice(2)}`]);
      expect(result.code, flags.join(' ')).not.toBe(0);
      expect(result.stderr, flags.join(' ')).toMatch(/refused by the grader/);
    }
    expect(await runObjects('network', runId)).toEqual([]);
    const created = await run.docker(['network', 'create', 'plain']);
    expect(created.code, created.stderr).toBe(0);
    const fixed = await run.docker(
      words('run -d --name fixed --network plain --ip 10.213.77.9 busybox sleep 30'),
    );
    expect(fixed.code).not.toBe(0);
    expect(fixed.stderr).toMatch(/refused by the grader/);
    const target = await run.docker(['run', '-d', '--name', 'target', 'busybox', 'sleep', '30']);
    expect(target.code, target.stderr).toBe(0);
    const connect = await run.docker(['network', 'connect', '--ip', '10.213.77.10', 'plain', 'target']);
    expect(connect.code).not.toBe(0);
    expect(connect.stderr).toMatch(/refused by the grader/);
    // The host never got a route to the subnet the student asked for.
    const { stdout: routes } = await execFileAsync('ip', ['route']);
    expect(routes).not.toContain('10.213.77.');
    await removeRunObjects(runId);
  });

  it(`stop at ${MAX_NETWORKS_PER_EXERCISE} networks an exercise, with the reason`, async () => {
    for (let index = 0; index < MAX_NETWORKS_PER_EXERCISE; index++) {
      const created = await run.docker(['network', 'create', `n${index}`]);
      expect(created.code, created.stderr).toBe(0);
    }
    const beyond = await run.docker(['network', 'create', 'one-too-many']);
    expect(beyond.code).not.toBe(0);
    expect(beyond.stderr).toMatch(new RegExp(`refused by the grader: .*${MAX_NETWORKS_PER_EXERCISE}`));
    expect(await runObjects('network', runId)).toHaveLength(MAX_NETWORKS_PER_EXERCISE);
    await removeRunObjects(runId);
  });
});

describe('an engine whose address pools are used up', () => {
  let privateEngine: PrivateEngine | undefined;
  let privateProxy: PolicyProxy | undefined;

  afterAll(async () => {
    await privateProxy?.close();
    await privateEngine?.stop();
  });

  it('is the engine’s fault, kept apart from the student’s refusals', async () => {
    // Two /24 in the pool: the default bridge takes one, the first network the other.
    privateEngine = await startPrivateEngine([], {
      extraArgs: ['--default-address-pool', 'base=10.251.250.0/23,size=24'],
      ownNetworkNamespace: true,
    });
    privateProxy = await startRunProxy(
      privateEngine.socketPath,
      path.join(run.socketDir, 'private.sock'),
      run,
    );
    const first = await run.docker(['network', 'create', 'first'], privateProxy);
    expect(first.code, first.stderr).toBe(0);
    const second = await run.docker(['network', 'create', 'second'], privateProxy);
    expect(second.code).not.toBe(0);
    expect(privateProxy.engineErrors.join('\n')).toMatch(/non-overlapping IPv4 address pool/);
    expect(privateProxy.refusals.join('\n')).not.toMatch(/address pool/);
  });
});

/**
 * The attacker, in a process of its own so that what it buffers is not counted as the grader's:
 * each connection announces a 1 MiB container create, sends half of it and stalls. Prints the
 * status line of each answer as JSON.
 */
const FLOOD = `
const net = require('node:net');
const [socketPath, count] = process.argv.slice(1);
const head = 'POST /v1.41/containers/create HTTP/1.1\\r\\nHost: docker\\r\\nContent-Type: application/json\\r\\nContent-Length: ' + 1024 * 1024 + '\\r\\n\\r\\n';
const half = '{"Image":"' + 'a'.repeat(512 * 1024);
Promise.all(Array.from({ length: Number(count) }, () => new Promise((resolve) => {
  const socket = net.connect(socketPath);
  let answer = '';
  const timer = setTimeout(() => { socket.destroy(); resolve('no answer'); }, 60000);
  socket.on('data', (chunk) => { answer += chunk.toString(); });
  socket.on('close', () => { clearTimeout(timer); resolve(answer || 'closed without an answer'); });
  socket.on('error', () => undefined);
  socket.write(head + half);
}))).then((answers) => {
  console.log(JSON.stringify(answers.map((a) => (/^HTTP\\/1\\.1 (\\d{3})/.exec(a) || [])[1] || a.slice(0, 40))));
});
`;

describe('a flood of stalled request bodies', () => {
  it('is answered, and the grader’s own memory stays bounded', async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const { stdout } = await execFileAsync(process.execPath, ['-e', FLOOD, run.proxy.socketPath, '300'], {
      timeout: 80_000,
      maxBuffer: 1024 * 1024,
    });
    clearInterval(sampler);
    const statuses = JSON.parse(stdout) as string[];
    expect(statuses).toHaveLength(300);
    // Every connection got the gate's answer, refused (503), too slow (408) or too large (413), or
    // was closed by it while the client was still sending (the answer then lost with the rest).
    const counts = statuses.reduce<Record<string, number>>((all, status) => {
      all[status] = (all[status] ?? 0) + 1;
      return all;
    }, {});
    const gateOutcomes = ['503', '408', '413', 'closed without an answer'];
    expect(
      Object.keys(counts).filter((status) => !gateOutcomes.includes(status)),
      JSON.stringify(counts),
    ).toEqual([]);
    expect((counts['503'] ?? 0) + (counts['408'] ?? 0), JSON.stringify(counts)).toBeGreaterThan(0);
    // The bodies the gate holds at once are bounded (16 MiB): 300 half-bodies would be 150 MiB.
    expect(peak - before).toBeLessThan(96 * 1024 * 1024);
    // Nothing of the run was created by any of them.
    expect(await runObjects('container', runId)).toEqual([]);
  }, 90_000);
});
