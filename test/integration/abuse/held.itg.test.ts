// Attack families that held against the gate when a determined student tried them (issue 13's
// "sixteen families held"), kept as cases so that they keep holding: disguised host mounts,
// privilege flags, bystanders by name, ID and ID prefix, path tricks, prune and admin calls.
// Each case asserts the safe outcome: a refusal, no container of the run made with what was
// refused, and the bystander unchanged. See docs/security.md for the whole table.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onEngine as engine } from '../../support/integration';
import { ProxyRun, runObjects } from '../../support/proxy-on-engine';

const run = new ProxyRun('abuse-held');
const { runId } = run;
const bystander = `abuse-held-bystander-${randomBytes(4).toString('hex')}`;
let bystanderId: string;

/** The bystander as the engine knows it: running, same name, same start time, same labels. */
async function bystanderState(): Promise<string> {
  return engine([
    'inspect',
    '--format',
    '{{.Name}} {{.State.Running}} {{.State.StartedAt}} {{json .Config.Labels}}',
    bystanderId,
  ]);
}

beforeAll(async () => {
  await run.start();
  bystanderId = await engine(['run', '-d', '--name', bystander, 'busybox', 'sleep', '600']);
});

afterAll(async () => {
  await engine(['rm', '-f', bystander]).catch(() => undefined);
  await run.stop();
});

describe('disguised host mounts and privilege flags', () => {
  const cases: Array<[string, string[]]> = [
    ['--mount type=bind,source=/', ['--mount', 'type=bind,source=/,target=/h']],
    ['-v //:/h', ['-v', '//:/h']],
    ['-v /./etc/../:/h', ['-v', '/./etc/../:/h']],
    ['-v /proc/self/root:/h', ['-v', '/proc/self/root:/h']],
    [
      '--mount of a local volume binding /',
      [
        '--mount',
        'type=volume,target=/h,volume-driver=local,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/',
      ],
    ],
    [
      '--mount of a tmpfs over nothing and a bind of the socket',
      ['--mount', 'type=bind,src=/run/docker.sock,dst=/s'],
    ],
    ['--ipc host', ['--ipc', 'host']],
    ['--userns host', ['--userns', 'host']],
    ['--cap-add ALL', ['--cap-add', 'ALL']],
    ['--security-opt apparmor=unconfined', ['--security-opt', 'apparmor=unconfined']],
    ['--cgroup-parent /', ['--cgroup-parent', '/']],
    ['--device-cgroup-rule', ['--device-cgroup-rule', 'a *:* rwm']],
    ['--pid container:<bystander>', ['--pid', `container:${'__BYSTANDER__'}`]],
    ['--network container:<bystander>', ['--network', `container:${'__BYSTANDER__'}`]],
    ['--volumes-from <bystander>', ['--volumes-from', '__BYSTANDER__']],
  ];
  it.each(cases)('refuses %s: nothing of the run is made with it', async (_title, flags) => {
    const before = await runObjects('container', runId);
    const args = flags.map((flag) => flag.replace('__BYSTANDER__', bystander));
    const result = await run.docker(['run', '-d', ...args, 'busybox', 'sleep', '30']);
    expect(result.code, result.stdout + result.stderr).not.toBe(0);
    expect(result.stderr, result.stderr).toMatch(/refused by the grader|No such container|not found/i);
    expect(await runObjects('container', runId)).toEqual(before);
    expect(await engine(['inspect', '--format', '{{.State.Running}}', bystanderId])).toBe('true');
  });
});

describe('bystanders by name, full ID and ID prefix', () => {
  it('can be neither read nor touched by any of the three', async () => {
    const before = await bystanderState();
    const references = [bystander, bystanderId, bystanderId.slice(0, 12), bystanderId.slice(0, 4)];
    for (const reference of references) {
      for (const args of [
        ['stop', '-t', '0', reference],
        ['kill', reference],
        ['pause', reference],
        ['rename', reference, 'taken'],
        ['logs', reference],
        ['top', reference],
        ['port', reference],
        ['diff', reference],
        ['export', '-o', path.join(run.socketDir, 'export.tar'), reference],
        ['commit', reference, 'stolen'],
        ['cp', `${reference}:/etc/hostname`, '-'],
        ['update', '--memory', '8m', reference],
        ['exec', reference, 'true'],
      ]) {
        const result = await run.docker(args);
        expect(result.code, `${args.join(' ')}: ${result.stdout}`).not.toBe(0);
        expect(result.stderr, args.join(' ')).toMatch(/No such|no such|not found/);
      }
    }
    expect(await bystanderState()).toBe(before);
    expect((await run.docker(['image', 'inspect', 'stolen'])).code).not.toBe(0);
  });
});

describe('paths the engine would normalise', () => {
  it('never answer with a bystander or an endpoint outside the table', async () => {
    const version = '/v1.41';
    for (const url of [
      `${version}/containers/../info`,
      `${version}/containers/%2e%2e/%2e%2e/info`,
      `${version}//containers/${bystanderId}/json`,
      `${version}/containers/${bystanderId}%2Fjson`,
      `${version}/containers/json/../${bystanderId}/json`,
      `/v1.41/../v1.41/containers/${bystanderId}/json`,
      `${version}/containers/${bystander}/json?size=1`,
      `${version}/system/df`,
    ]) {
      const answer = await run.request('GET', url);
      expect(answer.status, url).toBeGreaterThanOrEqual(400);
      // The refusal may echo the path the student sent; what must never come back is the bystander's state.
      expect(answer.body, url).not.toMatch(/"(State|Config|HostConfig|Image)"\s*:/);
    }
    const listed = await run.request('GET', `${version}/containers/json?all=1`);
    expect(listed.status).toBe(200);
    expect(listed.body).not.toContain(bystanderId);
  });
});

describe('prune and admin calls', () => {
  it('are refused, and the bystander lives on', async () => {
    for (const args of [
      ['system', 'prune', '-af', '--volumes'],
      ['container', 'prune', '-f'],
      ['image', 'prune', '-af'],
      ['volume', 'prune', '-f'],
      ['network', 'prune', '-f'],
      ['builder', 'prune', '-af'],
      ['system', 'df'],
      ['swarm', 'init'],
      ['node', 'ls'],
      ['plugin', 'ls'],
      ['plugin', 'install', '--grant-all-permissions', 'vieux/sshfs'],
      ['secret', 'ls'],
      ['config', 'ls'],
    ]) {
      const result = await run.docker(args);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr, args.join(' ')).toMatch(/refused by the grader|not allowed|not a swarm manager/);
    }
    expect(await engine(['inspect', '--format', '{{.State.Running}}', bystanderId])).toBe('true');
  });
});
