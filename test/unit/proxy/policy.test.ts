// The policy proxy's rules without I/O: routes, the create-container policy and hardening, names
// and filters. The engine and the host's files are fakes of the lookups the proxy injects.
import { describe, expect, it } from 'vitest';
import { KEPT_CAPABILITIES } from '../../../src/engine/engine';
import { RESTART_LABEL, STUDENT_NAME_LABEL, STUDENT_PORTS_LABEL } from '../../../src/naming/labels';
import { parseImageReference, VirtualNames } from '../../../src/naming/virtual-names';
import { requestedHostPorts } from '../../../src/proxy/allowance';
import { canonicalFieldName } from '../../../src/proxy/fields';
import {
  keepNamed,
  keepNamedObjects,
  narrowFilters,
  parseFilters,
  takeNameFilters,
} from '../../../src/proxy/filters';
import { parseJsonBody } from '../../../src/proxy/index';
import {
  type Json,
  type PolicyContext,
  type PolicyLookups,
  Refusal,
  type Resolved,
  type ResolvedImage,
} from '../../../src/proxy/policy';
import { policeBuildQuery } from '../../../src/proxy/policy-builds';
import {
  policeContainerCreate,
  policeContainerUpdate,
  policeExecCreate,
  showRequestedRestartPolicy,
} from '../../../src/proxy/policy-containers';
import { recheckBindSources } from '../../../src/proxy/policy-mounts';
import { policeNetworkCreate } from '../../../src/proxy/policy-networks';
import { policeVolumeCreate } from '../../../src/proxy/policy-volumes';
import { showRequestedListPorts, showRequestedPorts } from '../../../src/proxy/ports';
import { routeOf } from '../../../src/proxy/routes';
import { withoutOurLabels } from '../../../src/proxy/visibility';

const SCOPE = 'run1-1';
const SUBMISSION = '/work/submission';
const RUN_LABELS = { 'org.docker-autograder.run': 'run1', 'org.docker-autograder.scope': SCOPE };

interface FakeEngine {
  containers?: Record<string, Resolved>;
  networks?: Record<string, Resolved>;
  volumes?: Record<string, Resolved>;
  images?: Record<string, ResolvedImage>;
  imageVolumes?: string[];
  links?: Record<string, string>;
  sockets?: string[];
}

function context(
  engine: FakeEngine = {},
  policy = { extraCapabilities: [] as string[], publicPorts: false },
) {
  const created: string[] = [];
  const lookups: PolicyLookups = {
    async hostPath(hostPath) {
      let real = hostPath.replace(/\/+$/, '') || '/';
      for (const [link, target] of Object.entries(engine.links ?? {})) {
        if (real === link || real.startsWith(`${link}/`)) real = target + real.slice(link.length);
      }
      const parts: string[] = [];
      for (const part of real.split('/')) {
        if (part === '..') parts.pop();
        else if (part !== '' && part !== '.') parts.push(part);
      }
      real = `/${parts.join('/')}`;
      return { real, socket: (engine.sockets ?? []).includes(real) };
    },
    async container(reference) {
      return engine.containers?.[reference] ?? { kind: 'missing' };
    },
    async network(reference) {
      if (['bridge', 'host', 'none', 'default'].includes(reference))
        return { kind: 'builtin', name: reference };
      return engine.networks?.[reference] ?? { kind: 'missing' };
    },
    async volume(reference) {
      return engine.volumes?.[reference] ?? { kind: 'missing' };
    },
    async image(reference) {
      return engine.images?.[reference] ?? { kind: 'base', reference };
    },
    async createVolume(name) {
      created.push(name);
    },
    async imageConfig() {
      return { exposedPorts: ['80/tcp'], volumes: engine.imageVolumes ?? [] };
    },
  };
  const value: PolicyContext = {
    names: new VirtualNames(SCOPE),
    runLabels: RUN_LABELS,
    submissionDir: SUBMISSION,
    policy,
    lookups,
  };
  return { context: value, created };
}

function own(name: string, labels: Record<string, string> = {}): Resolved {
  return { kind: 'own', id: `id-of-${name}`, name, labels };
}

async function refusal(promise: Promise<unknown> | (() => unknown)): Promise<Refusal> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    if (error instanceof Refusal) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('routes', () => {
  it.each([
    ['GET', '/_ping', 'open'],
    ['HEAD', '/_ping', 'open'],
    ['GET', '/v1.41/version', 'open'],
    ['GET', '/v1.41/containers/json?all=1', 'container-list'],
    ['POST', '/v1.41/containers/create?name=web', 'container-create'],
    ['POST', '/v1.41/containers/web/attach?stream=1', 'container'],
    ['DELETE', '/v1.41/containers/web?force=1', 'container'],
    ['HEAD', '/v1.41/containers/web/archive?path=/x', 'container'],
    ['POST', '/v1.41/exec/abc/start', 'exec'],
    ['GET', '/v1.41/images/library/busybox:latest/json', 'image'],
    ['DELETE', '/v1.41/images/my_app:0.0.1', 'image'],
    ['POST', '/v1.41/build?t=x', 'build'],
    ['POST', '/v1.41/networks/backend/connect', 'network'],
    ['GET', '/v1.41/volumes', 'volume-list'],
    ['GET', '/v1.41/events?since=1', 'events'],
  ])('%s %s is %s', (method, url, kind) => {
    expect(routeOf(method, url).kind).toBe(kind);
  });

  it.each([
    ['POST', '/v1.41/containers/prune', /prune is not allowed/],
    ['POST', '/v1.41/swarm/init', /swarm/],
    ['GET', '/v1.41/secrets', /secrets/],
    ['POST', '/v1.41/plugins/pull', /plugins/],
    ['GET', '/v1.41/system/df', /off limits/],
    ['POST', '/v1.41/images/load', /docker load is not allowed/],
    ['POST', '/v1.41/session', /BuildKit builds are not available under the grader: use `docker build`/],
    ['POST', '/v1.41/grpc', /BuildKit builds are not available under the grader/],
    ['GET', '/v1.41/containers//web/json', /doubled slashes/],
    ['GET', '/v1.41/containers/web/../../info', /dot segments/],
    ['GET', '/v1.41/containers/a%2Fb/json', /encoded separators/],
    ['GET', '/v1.41/unknown/thing', /not an endpoint the grader forwards/],
    ['POST', '/v1.41/containers/web/json', /not allowed/],
  ])('%s %s is refused', (method, url, message) => {
    const route = routeOf(method, url);
    expect(route.kind).toBe('refused');
    expect(route.kind === 'refused' && route.message).toMatch(message);
  });

  it('answers an inspection of a plugin with "not found" (docker inspect tries every kind)', () => {
    expect(routeOf('GET', '/v1.41/plugins/web/json')).toEqual({
      kind: 'refused',
      message: 'plugin web not found',
      status: 404,
    });
  });

  it('takes the image reference with its slashes and tag from the path', () => {
    expect(routeOf('POST', '/v1.41/images/docker-autograder/x:latest/tag?repo=y')).toEqual({
      kind: 'image',
      ref: 'docker-autograder/x:latest',
      action: 'tag',
    });
  });
});

describe('create container: refusals', () => {
  const cases: Array<[string, Json, RegExp]> = [
    [
      'privileged',
      { HostConfig: { Privileged: true } },
      /privileged containers are not allowed \(--privileged\)/,
    ],
    ['host network', { HostConfig: { NetworkMode: 'host' } }, /--network host/],
    ['host pid', { HostConfig: { PidMode: 'host' } }, /--pid host/],
    ['host ipc', { HostConfig: { IpcMode: 'host' } }, /--ipc host/],
    ['host uts', { HostConfig: { UTSMode: 'host' } }, /--uts host/],
    ['host userns', { HostConfig: { UsernsMode: 'host' } }, /--userns host/],
    ['host cgroupns', { HostConfig: { CgroupnsMode: 'host' } }, /--cgroupns host/],
    ['devices', { HostConfig: { Devices: [{ PathOnHost: '/dev/null' }] } }, /host devices/],
    ['gpus', { HostConfig: { DeviceRequests: [{ Count: -1 }] } }, /host devices/],
    ['device cgroup rules', { HostConfig: { DeviceCgroupRules: ['c 1:3 rwm'] } }, /host devices/],
    [
      'bind of /',
      { HostConfig: { Binds: ['/:/host'] } },
      /"\/" is not allowed: only folders inside the submission/,
    ],
    ['bind of the socket', { HostConfig: { Binds: ['/var/run/docker.sock:/s'] } }, /Docker socket/],
    [
      'mount of /etc',
      { HostConfig: { Mounts: [{ Type: 'bind', Source: '/etc', Target: '/x' }] } },
      /only folders/,
    ],
    ['bind out by ..', { HostConfig: { Binds: [`${SUBMISSION}/../other:/x`] } }, /only folders inside/],
    [
      'bind of a prefix sibling',
      { HostConfig: { Binds: [`${SUBMISSION}-other:/x`] } },
      /only folders inside/,
    ],
    ['bind through a symlink', { HostConfig: { Binds: [`${SUBMISSION}/link:/x`] } }, /only folders inside/],
    ['socket inside', { HostConfig: { Binds: [`${SUBMISSION}/docker.sock:/s`] } }, /Docker socket/],
    ['cap SYS_ADMIN', { HostConfig: { CapAdd: ['SYS_ADMIN'] } }, /SYS_ADMIN are not allowed \(--cap-add\)/],
    ['cap ALL', { HostConfig: { CapAdd: ['ALL'] } }, /ALL are not allowed/],
    ['cap NET_RAW by default', { HostConfig: { CapAdd: ['CAP_NET_RAW'] } }, /NET_RAW are not allowed/],
    ['seccomp unconfined', { HostConfig: { SecurityOpt: ['seccomp=unconfined'] } }, /seccomp=unconfined/],
    ['apparmor unconfined', { HostConfig: { SecurityOpt: ['apparmor=unconfined'] } }, /apparmor=unconfined/],
    ['label disable', { HostConfig: { SecurityOpt: ['label=disable'] } }, /label=disable/],
    ['nnp false', { HostConfig: { SecurityOpt: ['no-new-privileges:false'] } }, /no-new-privileges:false/],
    [
      'custom seccomp',
      { HostConfig: { SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'] } },
      /security/,
    ],
    ['unmasked paths', { HostConfig: { MaskedPaths: [] } }, /systempaths=unconfined/],
    ['sysctl kernel', { HostConfig: { Sysctls: { 'kernel.core_pattern': '|/x' } } }, /kernel\.core_pattern/],
    ['runtime', { HostConfig: { Runtime: 'runsc-debug' } }, /--runtime/],
    [
      'ulimit rtprio',
      { HostConfig: { Ulimits: [{ Name: 'rtprio', Soft: 99, Hard: 99 }] } },
      /--ulimit rtprio/,
    ],
    ['negative oom score', { HostConfig: { OomScoreAdj: -1000 } }, /--oom-score-adj/],
    ['cgroup parent', { HostConfig: { CgroupParent: '/' } }, /--cgroup-parent/],
    [
      'port on an address of the host other than 127.0.0.1',
      { HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '192.0.2.1', HostPort: '18080' }] } } },
      /publishing port 80\/tcp on 192\.0\.2\.1 is not allowed/,
    ],
    [
      'volume bound to a host path',
      {
        HostConfig: {
          Mounts: [
            {
              Type: 'volume',
              Source: 'v',
              Target: '/x',
              VolumeOptions: {
                DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/' } },
              },
            },
          ],
        },
      },
      /volume options that mount a host path/,
    ],
    ['someone else’s volume', { HostConfig: { Binds: ['theirs:/x'] } }, /no such volume/],
    ['someone else’s network', { HostConfig: { NetworkMode: 'theirs' } }, /network theirs not found/],
    ['--volumes-from someone else', { HostConfig: { VolumesFrom: ['theirs'] } }, /No such container: theirs/],
    ['--network container:someone', { HostConfig: { NetworkMode: 'container:theirs' } }, /No such container/],
    ['someone else’s image', { Image: 'theirs:1' }, /No such image: theirs:1/],
  ];
  const engine: FakeEngine = {
    links: { [`${SUBMISSION}/link`]: '/etc' },
    sockets: ['/run/docker.sock', `${SUBMISSION}/docker.sock`],
    volumes: { theirs: { kind: 'foreign' } },
    networks: { theirs: { kind: 'foreign' } },
    containers: { theirs: { kind: 'foreign' } },
    images: { 'theirs:1': { kind: 'foreign' } },
  };
  engine.links = { ...engine.links, '/var/run': '/run' };

  it.each(cases)('refuses %s', async (_title, body, message) => {
    const error = await refusal(
      policeContainerCreate({ Image: 'busybox', ...body }, 'web', context(engine).context),
    );
    expect(error.message).toMatch(message);
    // A missing reference inside the body is a 400, as the engine answers it (not a 404, which
    // the docker CLI would take for a missing image and try to pull).
    expect([400, 403, 404]).toContain(error.status);
  });

  it('notes in the report that someone else’s object was hidden, not just missing', async () => {
    const error = await refusal(
      policeContainerCreate(
        { Image: 'busybox', HostConfig: { VolumesFrom: ['theirs'] } },
        'web',
        context(engine).context,
      ),
    );
    expect(error.status).toBe(400);
    expect(error.missing).toBe(true);
    expect(error.note).toMatch(/not one this grading created/);
  });
});

describe('create container: what passes, hardened and labelled', () => {
  it('applies the grader’s profile and stamps the run’s labels over the student’s', async () => {
    const body = await policeContainerCreate(
      {
        Image: 'nginx',
        Labels: {
          mine: 'yes',
          'org.docker-autograder.run': 'forged',
          [STUDENT_PORTS_LABEL]: '{"80/tcp":[1]}',
        },
        HostConfig: {
          Memory: 4 * 1024 * 1024 * 1024,
          PidsLimit: 0,
          CapDrop: ['CHOWN'],
          SecurityOpt: ['apparmor=docker-default'],
          LogConfig: { Type: 'none' },
          Ulimits: [{ Name: 'nproc', Soft: 10, Hard: 10 }],
          CpuQuota: 500000,
        },
      },
      undefined,
      context().context,
    );
    // Ours set, empty, so that no LABEL of the image passes on a name, ports or a policy.
    expect(body.Labels).toEqual({
      mine: 'yes',
      [STUDENT_NAME_LABEL]: '',
      [STUDENT_PORTS_LABEL]: '',
      [RESTART_LABEL]: '',
      ...RUN_LABELS,
    });
    const hostConfig = body.HostConfig as Json;
    expect(hostConfig.CapDrop).toEqual(['ALL']);
    expect(hostConfig.CapAdd).toEqual(KEPT_CAPABILITIES.filter((capability) => capability !== 'CHOWN'));
    expect(hostConfig.SecurityOpt).toEqual(['no-new-privileges', 'apparmor=docker-default']);
    expect(hostConfig.Memory).toBe(512 * 1024 * 1024);
    expect(hostConfig.MemorySwap).toBe(512 * 1024 * 1024);
    expect(hostConfig.PidsLimit).toBe(256);
    expect(hostConfig.NanoCpus).toBe(1e9);
    expect(hostConfig.CpuQuota).toBeUndefined();
    expect(hostConfig.LogConfig).toEqual({
      Type: 'json-file',
      Config: { 'max-size': '10m', 'max-file': '1' },
    });
    expect(hostConfig.Ulimits).toEqual([
      { Name: 'nproc', Soft: 10, Hard: 10 },
      { Name: 'core', Soft: 0, Hard: 0 },
      { Name: 'nofile', Soft: 1024, Hard: 1024 },
    ]);
    // `docker top` must show what the student started (run-nginx counts nginx's processes).
    expect(hostConfig.Init).toBeUndefined();
  });

  it('keeps lower limits the student asked for', async () => {
    const body = await policeContainerCreate(
      { Image: 'busybox', HostConfig: { Memory: 64 * 1024 * 1024, PidsLimit: 10, NanoCpus: 5e8 } },
      undefined,
      context().context,
    );
    expect(body.HostConfig).toMatchObject({
      Memory: 64 * 1024 * 1024,
      MemorySwap: 64 * 1024 * 1024,
      PidsLimit: 10,
    });
    expect((body.HostConfig as Json).NanoCpus).toBe(5e8);
  });

  it('grants the exercise’s extra capabilities, and lets the student ask for them', async () => {
    const { context: withNetRaw } = context({}, { extraCapabilities: ['net_raw'], publicPorts: false });
    const body = await policeContainerCreate(
      { Image: 'busybox', HostConfig: { CapAdd: ['CAP_NET_RAW'] } },
      undefined,
      withNetRaw,
    );
    expect((body.HostConfig as Json).CapAdd).toEqual([...KEPT_CAPABILITIES, 'NET_RAW']);
  });

  it('publishes ports on 127.0.0.1 with ephemeral host ports and records what was asked', async () => {
    const body = await policeContainerCreate(
      {
        Image: 'nginx',
        HostConfig: {
          PortBindings: {
            '80/tcp': [{ HostIp: '', HostPort: '18080' }],
            '443/tcp': [{ HostIp: '127.0.0.1', HostPort: '18443' }],
            '9000/tcp': [{ HostIp: '', HostPort: '' }],
          },
        },
      },
      'web',
      context().context,
    );
    expect((body.HostConfig as Json).PortBindings).toEqual({
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '443/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '9000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
    const labels = body.Labels as Record<string, string>;
    expect(JSON.parse(labels[STUDENT_PORTS_LABEL] ?? '')).toEqual({ '80/tcp': [18080], '443/tcp': [18443] });
    expect(labels[STUDENT_NAME_LABEL]).toBe('web');
  });

  it('turns -P into bindings of every exposed port on 127.0.0.1', async () => {
    const body = await policeContainerCreate(
      { Image: 'nginx', ExposedPorts: { '8080/tcp': {} }, HostConfig: { PublishAllPorts: true } },
      undefined,
      context().context,
    );
    const hostConfig = body.HostConfig as Json;
    expect(hostConfig.PublishAllPorts).toBe(false);
    expect(hostConfig.PortBindings).toEqual({
      '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
  });

  it.each(['0.0.0.0', '::'])(
    'takes an explicit %s as no address: 127.0.0.1, the port still asked for',
    async (address) => {
      const body = await policeContainerCreate(
        {
          Image: 'nginx',
          HostConfig: { PortBindings: { '80/tcp': [{ HostIp: address, HostPort: '18080' }] } },
        },
        'web',
        context({}).context,
      );
      expect((body.HostConfig as Json).PortBindings).toEqual({
        '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      });
      expect(JSON.parse(String((body.Labels as Json)[STUDENT_PORTS_LABEL]))).toEqual({ '80/tcp': [18080] });
    },
  );

  it('allows public ports where the exercise allows them, still ephemeral', async () => {
    const { context: open } = context({}, { extraCapabilities: [], publicPorts: true });
    const body = await policeContainerCreate(
      {
        Image: 'nginx',
        HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] } },
      },
      undefined,
      open,
    );
    expect((body.HostConfig as Json).PortBindings).toEqual({
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '' }],
    });
  });

  it('translates the student’s names of volumes, networks and containers, and adds a DNS alias', async () => {
    const { context: value, created } = context({
      volumes: { data: own(`${SCOPE}-data`) },
      networks: { backend: own(`${SCOPE}-backend`) },
      containers: { db: own(`${SCOPE}-db`) },
      images: { 'my_app:1': { kind: 'own', reference: `${SCOPE}-my_app:1` } },
    });
    const body = await policeContainerCreate(
      {
        Image: 'my_app:1',
        HostConfig: {
          NetworkMode: 'backend',
          Binds: ['data:/data:ro', 'fresh:/fresh', `${SUBMISSION}/html:/usr/share/nginx/html:ro`],
          VolumesFrom: ['db:ro'],
          Links: ['db:database'],
        },
        NetworkingConfig: { EndpointsConfig: {} },
      },
      'web',
      value,
    );
    const hostConfig = body.HostConfig as Json;
    expect(body.Image).toBe(`${SCOPE}-my_app:1`);
    expect(hostConfig.NetworkMode).toBe(`${SCOPE}-backend`);
    expect(hostConfig.Binds).toEqual([
      `${SCOPE}-data:/data:ro`,
      `${SCOPE}-fresh:/fresh`,
      `${SUBMISSION}/html:/usr/share/nginx/html:ro`,
    ]);
    expect(created).toEqual([`${SCOPE}-fresh`]);
    expect(hostConfig.VolumesFrom).toEqual(['id-of-run1-1-db:ro']);
    expect(hostConfig.Links).toEqual([`${SCOPE}-db:database`]);
    expect(body.NetworkingConfig).toEqual({
      EndpointsConfig: { [`${SCOPE}-backend`]: { Aliases: ['web'] } },
    });
  });

  it('makes the anonymous volumes of an image labelled ones', async () => {
    const { context: value, created } = context({ imageVolumes: ['/data', '/logs'] });
    const body = await policeContainerCreate(
      { Image: 'redis', Volumes: { '/cache': {} }, HostConfig: { Binds: [`${SUBMISSION}/logs:/logs`] } },
      undefined,
      value,
    );
    expect(created).toHaveLength(2);
    expect((body.HostConfig as Json).Mounts).toEqual([
      { Type: 'volume', Source: created[0], Target: '/cache' },
      { Type: 'volume', Source: created[1], Target: '/data' },
    ]);
    for (const name of created) expect(name).toMatch(/^run1-1-anon-[0-9a-f]{24}$/);
  });
});

describe('other bodies', () => {
  it('refuses privileged exec, passes the rest', async () => {
    expect((await refusal(() => policeExecCreate({ Privileged: true }))).message).toMatch(/privileged exec/);
    expect(policeExecCreate({ Cmd: ['ls'] })).toEqual({ Cmd: ['ls'] });
  });

  it('caps the limits of docker update and refuses devices', async () => {
    expect(policeContainerUpdate({ Memory: 8e9, PidsLimit: -1 })).toMatchObject({
      Memory: 512 * 1024 * 1024,
      PidsLimit: 256,
    });
    expect(
      (await refusal(() => policeContainerUpdate({ Devices: [{ PathOnHost: '/dev/sda' }] }))).message,
    ).toMatch(/devices/);
  });

  it('scopes and labels a network; refuses other drivers and the bridge name option', async () => {
    const { context: value } = context();
    expect(policeNetworkCreate({ Name: 'backend', Labels: { a: 'b' } }, value)).toEqual({
      Name: `${SCOPE}-backend`,
      Labels: { a: 'b', [STUDENT_NAME_LABEL]: 'backend', ...RUN_LABELS },
    });
    expect(
      (await refusal(() => policeNetworkCreate({ Name: 'n', Driver: 'macvlan' }, value))).message,
    ).toMatch(/driver macvlan/);
    const options = { 'com.docker.network.bridge.name': 'docker0' };
    expect(
      (await refusal(() => policeNetworkCreate({ Name: 'n', Options: options }, value))).message,
    ).toMatch(/bridge\.name/);
  });

  it('scopes and labels a volume; refuses host-path options, allows tmpfs', async () => {
    const { context: value } = context();
    expect(policeVolumeCreate({ Name: 'data' }, value)).toEqual({
      Name: `${SCOPE}-data`,
      Labels: { [STUDENT_NAME_LABEL]: 'data', ...RUN_LABELS },
    });
    expect(policeVolumeCreate({}, value)).toEqual({ Labels: RUN_LABELS });
    const bind = { type: 'none', o: 'bind', device: '/etc' };
    expect((await refusal(() => policeVolumeCreate({ Name: 'v', DriverOpts: bind }, value))).message).toMatch(
      /host path/,
    );
    const tmpfs = { type: 'tmpfs', device: 'tmpfs', o: 'size=10m' };
    expect(policeVolumeCreate({ Name: 'v', DriverOpts: tmpfs }, value).DriverOpts).toEqual(tmpfs);
  });

  it('scopes build tags, stamps the labels, caps memory; refuses host network and remote contexts', async () => {
    const { context: value } = context();
    const query = await policeBuildQuery(
      new URLSearchParams('t=my_app:0.0.1&t=other&labels={"a":"b"}'),
      value,
    );
    expect(query.getAll('t')).toEqual([`${SCOPE}-my_app:0.0.1`, `${SCOPE}-other:latest`]);
    expect(JSON.parse(query.get('labels') ?? '')).toEqual({
      a: 'b',
      [STUDENT_NAME_LABEL]: 'my_app:0.0.1',
      [STUDENT_PORTS_LABEL]: '',
      [RESTART_LABEL]: '',
      ...RUN_LABELS,
    });
    expect(query.get('memory')).toBe(String(512 * 1024 * 1024));
    expect(
      (await refusal(() => policeBuildQuery(new URLSearchParams('networkmode=host'), value))).message,
    ).toMatch(/network host/);
    expect(
      (await refusal(() => policeBuildQuery(new URLSearchParams('remote=https://example.com/x.git'), value)))
        .message,
    ).toMatch(/URL or Git/);
  });

  it("reads ulimits=null, as compose sends it, as no ulimits, and adds the grader's", async () => {
    const { context: value } = context();
    const query = await policeBuildQuery(new URLSearchParams('t=app&ulimits=null'), value);
    const ulimits = JSON.parse(query.get('ulimits') ?? '') as { Name: string }[];
    expect(ulimits.map((limit) => limit.Name).sort()).toEqual(['core', 'nofile']);
  });
});

describe('ports shown to the student', () => {
  const labels = { [STUDENT_PORTS_LABEL]: '{"80/tcp":[18080,18081]}' };

  it('shows the requested host ports in an inspection', () => {
    const shown = showRequestedPorts({
      Config: { Labels: labels },
      HostConfig: {
        PortBindings: {
          '80/tcp': [
            { HostIp: '127.0.0.1', HostPort: '' },
            { HostIp: '127.0.0.1', HostPort: '' },
          ],
        },
      },
      NetworkSettings: {
        Ports: {
          '80/tcp': [
            { HostIp: '127.0.0.1', HostPort: '32768' },
            { HostIp: '127.0.0.1', HostPort: '32769' },
          ],
          '443/tcp': [{ HostIp: '127.0.0.1', HostPort: '32770' }],
        },
      },
    }) as Json;
    expect((shown.NetworkSettings as Json).Ports).toEqual({
      '80/tcp': [
        { HostIp: '127.0.0.1', HostPort: '18080' },
        { HostIp: '127.0.0.1', HostPort: '18081' },
      ],
      '443/tcp': [{ HostIp: '127.0.0.1', HostPort: '32770' }],
    });
    expect((shown.HostConfig as Json).PortBindings).toEqual({
      '80/tcp': [
        { HostIp: '127.0.0.1', HostPort: '18080' },
        { HostIp: '127.0.0.1', HostPort: '18081' },
      ],
    });
  });

  it('shows the requested host ports in a list, and leaves containers without the label alone', () => {
    const port = (PublicPort: number) => ({ IP: '127.0.0.1', PrivatePort: 80, PublicPort, Type: 'tcp' });
    expect(
      showRequestedListPorts([
        { Labels: labels, Ports: [port(32768), port(32769)] },
        { Labels: {}, Ports: [port(32770)] },
      ]),
    ).toEqual([
      { Labels: labels, Ports: [port(18080), port(18081)] },
      { Labels: {}, Ports: [port(32770)] },
    ]);
  });
});

describe('names and filters', () => {
  const names = new VirtualNames(SCOPE);

  it('scopes names and image tags, and takes the scope out of answers', () => {
    expect(names.real('web')).toBe(`${SCOPE}-web`);
    expect(names.realImage('my_app:0.0.1')).toBe(`${SCOPE}-my_app:0.0.1`);
    expect(names.realImage('my_app')).toBe(`${SCOPE}-my_app:latest`);
    expect(names.realImage('docker.io/library/my_app:2')).toBe(`${SCOPE}-my_app:2`);
    expect(names.realImage('docker.io/me/my_app')).toBe(`${SCOPE}-me-my_app:latest`);
    expect(names.realImage('sha256:0123456789abcdef')).toBeUndefined();
    expect(names.realImage('busybox@sha256:abc')).toBeUndefined();
    expect(names.unscope(`{"Name":"/${SCOPE}-web","Image":"${SCOPE}-my_app:0.0.1","Other":"${SCOPE}"}`)).toBe(
      `{"Name":"/web","Image":"my_app:0.0.1","Other":"${SCOPE}"}`,
    );
  });

  it('gives back the student’s spelling of names it scoped', () => {
    const fresh = new VirtualNames(SCOPE);
    fresh.real('MyWeb');
    expect(fresh.unscope(`/${SCOPE}-myweb and /${SCOPE}-myweb2`)).toBe('/MyWeb and /myweb2');
  });

  it('parses image references', () => {
    expect(parseImageReference('localhost:5000/app:1@sha256:ab')).toEqual({
      repository: 'localhost:5000/app',
      tag: '1',
      digest: 'sha256:ab',
    });
    expect(parseImageReference('localhost:5000/app')).toEqual({ repository: 'localhost:5000/app' });
  });

  it('adds the run’s labels to list filters and scopes anchored names', () => {
    const filters = narrowFilters('{"name":{"^web$":true},"label":["tier=front"],"status":["running"]}', {
      names,
      runLabelFilters: ['org.docker-autograder.run=run1'],
      realNetwork: (name) => names.real(name),
    });
    expect(parseFilters(filters)).toEqual({
      name: [`^${SCOPE}-web$`],
      label: ['tier=front', 'org.docker-autograder.run=run1'],
      status: ['running'],
    });
    expect(parseFilters(narrowFilters(null, { names, runLabelFilters: ['a=b'] }))).toEqual({
      label: ['a=b'],
    });
  });

  it('scopes the container of an event filter, keeping what may be an id', () => {
    const filters = narrowFilters('{"container":{"web":true,"3f2a":true}}', { names, runLabelFilters: [] });
    expect(parseFilters(filters).container?.sort()).toEqual(
      ['3f2a', `${SCOPE}-3f2a`, `${SCOPE}-web`, 'web'].sort(),
    );
  });

  it('takes name filters out for the proxy to match on the names the student sees', () => {
    const taken = takeNameFilters('{"name":{"^second$":true,"t":true},"status":["running"]}');
    expect(taken && parseFilters(taken.rest)).toEqual({ status: ['running'] });
    const containers = [
      { Names: ['/second'] },
      { Names: ['/first'] },
      { Names: ['/other'] },
      { Names: ['/abc'] },
    ];
    // "^second$" on the name without its slash, "t" anywhere: never on a scope prefix.
    expect(keepNamed(containers, taken?.patterns ?? [])).toEqual([
      { Names: ['/second'] },
      { Names: ['/first'] },
      { Names: ['/other'] },
    ]);
    expect(
      keepNamedObjects(
        [{ Name: 'alpha' }, { Name: 'beta' }],
        takeNameFilters('{"name":["^al"]}')?.patterns ?? [],
      ),
    ).toEqual([{ Name: 'alpha' }]);
    // No name filter, or one only the engine's RE2 reads: the engine matches, as before.
    expect(takeNameFilters('{"status":["running"]}')).toBeUndefined();
    expect(takeNameFilters('{"name":["(?i)web"]}')).toBeUndefined();
  });

  it('refuses a name filter that would backtrack for hours, instead of freezing the grader', () => {
    const slow = takeNameFilters('{"name":["^(a|a)*$"]}')?.patterns ?? [];
    const names = [{ Names: [`/${'a'.repeat(40)}-x`] }];
    expect(() => keepNamed(names, slow)).toThrow(/took too long to match: use a simpler pattern/);
    expect(() => keepNamedObjects([{ Name: `${'a'.repeat(40)}-x` }], slow)).toThrow(Refusal);
  });

  it('hides the grader’s labels from answers, at any depth', () => {
    expect(
      withoutOurLabels([
        { Labels: { 'org.docker-autograder.run': 'x', mine: 'y' }, Config: { Labels: null } },
      ]),
    ).toEqual([{ Labels: { mine: 'y' }, Config: { Labels: null } }]);
  });

  it('reads the requested host ports of a label', () => {
    expect(requestedHostPorts('{"80/tcp":[18080],"443/tcp":[18443,18444]}')).toEqual([18080, 18443, 18444]);
    expect(requestedHostPorts('not json')).toEqual([]);
    expect(requestedHostPorts(undefined)).toEqual([]);
  });
});

describe('request bodies as the engine reads them (Go matches keys case-insensitively)', () => {
  it.each([
    ['lower case', '{"image":"busybox","hostconfig":{"privileged":true}}'],
    ['upper case', '{"IMAGE":"busybox","HOSTCONFIG":{"PRIVILEGED":true}}'],
    ['a long s (U+017F) for s', '{"Image":"busybox","Ho\u017ftConfig":{"Privileged":true}}'],
    ['an escaped long s', '{"Image":"busybox","Ho\\u017ftConfig":{"Privileged":true}}'],
  ])('brings %s to the canonical names, so the policy sees privileged', async (_title, text) => {
    const body = parseJsonBody(text);
    expect(body).toEqual({ Image: 'busybox', HostConfig: { Privileged: true } });
    expect((await refusal(policeContainerCreate(body, 'web', context().context))).message).toMatch(
      /privileged containers are not allowed/,
    );
  });

  it('knows every field the policy reads, in any spelling', () => {
    const policed = [
      ...['Image', 'Labels', 'HostConfig', 'NetworkingConfig', 'EndpointsConfig', 'ExposedPorts', 'Volumes'],
      ...['Privileged', 'NetworkMode', 'PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode'],
      ...['Devices', 'DeviceRequests', 'DeviceCgroupRules', 'CgroupParent', 'Binds', 'Mounts', 'Tmpfs'],
      ...['CapAdd', 'CapDrop', 'SecurityOpt', 'Sysctls', 'Ulimits', 'OomScoreAdj', 'Runtime', 'VolumeDriver'],
      ...['VolumesFrom', 'Links', 'MaskedPaths', 'ReadonlyPaths', 'PortBindings', 'PublishAllPorts'],
      ...[
        'PidsLimit',
        'Memory',
        'MemorySwap',
        'NanoCpus',
        'CpuQuota',
        'CpuPeriod',
        'OomKillDisable',
        'LogConfig',
      ],
      ...[
        'Type',
        'Source',
        'Target',
        'VolumeOptions',
        'DriverConfig',
        'Options',
        'Name',
        'Driver',
        'DriverOpts',
      ],
      ...[
        'ConfigFrom',
        'Ingress',
        'Scope',
        'Container',
        'EndpointConfig',
        'Aliases',
        'Detach',
        'HostIp',
        'HostPort',
      ],
    ];
    for (const field of policed) {
      expect(canonicalFieldName(field)).toBe(field);
      expect(canonicalFieldName(field.toLowerCase())).toBe(field);
      expect(canonicalFieldName(field.toUpperCase().replace(/S/g, '\u017f').replace(/K/g, '\u212a'))).toBe(
        field,
      );
    }
  });

  it('reads the Kelvin sign (U+212A) as a k, as Go does', () => {
    expect(canonicalFieldName('\u212aernelMemory')).toBe('KernelMemory');
    expect(canonicalFieldName('\u212Aernelmemory')).toBe('KernelMemory');
    // Other letters that only look alike are other keys to Go as well.
    expect(canonicalFieldName('\u0130mage')).toBeUndefined();
  });

  it('polices binds, volume driver options and the image spelled in other cases', async () => {
    const binds = parseJsonBody('{"Image":"busybox","hostConfig":{"binds":["/:/host"]}}');
    expect((await refusal(policeContainerCreate(binds, 'web', context().context))).message).toMatch(
      /"\/" is not allowed/,
    );
    const volume = parseJsonBody(
      '{"name":"v","driverOpts":{"type":"none","o":"bind","device":"/etc"},"labels":{"Privileged":"x"}}',
    );
    expect(volume.Labels).toEqual({ Privileged: 'x' });
    expect((await refusal(() => policeVolumeCreate(volume, context().context))).message).toMatch(/host path/);
    const image = parseJsonBody('{"image":"theirs:1"}');
    const engine: FakeEngine = { images: { 'theirs:1': { kind: 'foreign' } } };
    expect((await refusal(policeContainerCreate(image, 'web', context(engine).context))).message).toMatch(
      /No such image: theirs:1/,
    );
  });

  it('refuses two spellings of one field in one object, whichever would win', () => {
    for (const text of [
      '{"HostConfig":{"Privileged":false,"privileged":true}}',
      '{"HostConfig":{"privileged":true,"Privileged":false}}',
      '{"HostConfig":{},"hostconfig":{"Privileged":true}}',
    ]) {
      const error = (() => {
        try {
          parseJsonBody(text);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(Refusal);
      expect((error as Refusal).status).toBe(400);
      expect((error as Refusal).message).toMatch(
        /names the field (HostConfig\.)?(Privileged|HostConfig) twice/,
      );
    }
  });

  it('names where the second spelling is, inside lists too', () => {
    expect(() =>
      parseJsonBody('{"HostConfig":{"Mounts":[{"Type":"bind"},{"Type":"volume","type":"bind"}]}}'),
    ).toThrow('names the field HostConfig.Mounts[1].Type twice (as "Type" and "type")');
  });

  it('refuses exact duplicates, at any depth: the policy must not guess which one the engine keeps', () => {
    expect(() =>
      parseJsonBody('{"Image":"busybox","HostConfig":{"Privileged":false},"HostConfig":{"Privileged":true}}'),
    ).toThrow('names the key "HostConfig" twice');
    expect(() => parseJsonBody('{"HostConfig":{"Binds":["/a:/a"],"Binds":["/:/host"]}}')).toThrow(
      'names the key "Binds" twice',
    );
    // The same key in two objects of a list, or as a value, is no duplicate.
    expect(
      parseJsonBody('{"Env":["Env"],"HostConfig":{"Mounts":[{"Type":"bind"},{"Type":"volume"}]}}'),
    ).toEqual({
      Env: ['Env'],
      HostConfig: { Mounts: [{ Type: 'bind' }, { Type: 'volume' }] },
    });
  });

  it('leaves the keys of maps that are the student’s data alone, and reads their values as structs', () => {
    const body = parseJsonBody(
      JSON.stringify({
        labels: { privileged: 'yes', Image: 'x' },
        hostconfig: {
          sysctls: { 'net.core.somaxconn': '1024' },
          tmpfs: { '/Run': 'rw' },
          portbindings: { '80/tcp': [{ hostip: '0.0.0.0', hostport: '80' }] },
          logconfig: { type: 'json-file', config: { 'max-size': '1g' } },
        },
        networkingconfig: { endpointsconfig: { Backend: { aliases: ['db'] } } },
        exposedports: { '80/tcp': {} },
        volumes: { '/Data': {} },
        env: ['privileged=true'],
      }),
    );
    expect(body).toEqual({
      Labels: { privileged: 'yes', Image: 'x' },
      HostConfig: {
        Sysctls: { 'net.core.somaxconn': '1024' },
        Tmpfs: { '/Run': 'rw' },
        PortBindings: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '80' }] },
        LogConfig: { Type: 'json-file', Config: { 'max-size': '1g' } },
      },
      NetworkingConfig: { EndpointsConfig: { Backend: { Aliases: ['db'] } } },
      ExposedPorts: { '80/tcp': {} },
      Volumes: { '/Data': {} },
      Env: ['privileged=true'],
    });
  });

  it('keeps a "__proto__" key as data, and refuses bodies nested absurdly deep', () => {
    const body = parseJsonBody('{"Labels":{"__proto__":"x"},"__proto__":{"Privileged":true}}');
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(Object.keys(body)).toEqual(['Labels', '__proto__']);
    expect(() => parseJsonBody(`{"Cmd":${'['.repeat(100)}${']'.repeat(100)}}`)).toThrow(/nested deeper/);
  });
});

describe('API versions', () => {
  it.each([
    ['/v1.23/containers/web/start', '1.23'],
    ['/v1.12/containers/create', '1.12'],
    ['/v1.39/version', '1.39'],
    ['/v1/containers/json', '1'],
  ])('refuses %s, naming the minimum', (url, version) => {
    const route = routeOf('POST', url);
    expect(route).toEqual({
      kind: 'refused',
      message: expect.stringContaining(
        `client version ${version} is too old. Minimum supported API version is 1.40`,
      ),
      status: 400,
    });
  });

  it.each([
    ['/v1.40/containers/web/start'],
    ['/v1.41/containers/web/start'],
    ['/v1.45/containers/web/start'],
    ['/containers/web/start'],
  ])('forwards %s', (url) => {
    expect(routeOf('POST', url).kind).toBe('container');
  });
});

describe('the host network by another name', () => {
  const HOST_ID = '1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988';
  const engine: FakeEngine = {
    networks: {
      [HOST_ID]: { kind: 'builtin', name: 'host' },
      [HOST_ID.slice(0, 5)]: { kind: 'builtin', name: 'host' },
      backend: own(`${SCOPE}-backend`),
    },
  };

  it.each([
    ['its id', HOST_ID],
    ['an id prefix', HOST_ID.slice(0, 5)],
  ])('refuses a container on the host network named by %s', async (_title, reference) => {
    for (const body of [
      { Image: 'busybox', HostConfig: { NetworkMode: reference } },
      { Image: 'busybox', NetworkingConfig: { EndpointsConfig: { [reference]: {} } } },
    ]) {
      const error = await refusal(policeContainerCreate(body, 'web', context(engine).context));
      expect(error.message).toMatch(/--network host\): .* is the host network/);
      expect(error.status).toBe(403);
    }
  });

  it('refuses a build on the host network by id, and on the run’s own network', async () => {
    const { context: value } = context(engine);
    const error = await refusal(() => policeBuildQuery(new URLSearchParams(`networkmode=${HOST_ID}`), value));
    expect(error.message).toMatch(/--network host/);
    // A network of the run's own is refused too: builds use the default network (build-rules.ts).
    const own = await refusal(() => policeBuildQuery(new URLSearchParams('networkmode=backend'), value));
    expect(own.message).toMatch(/build network backend is not allowed/);
    expect((await policeBuildQuery(new URLSearchParams('networkmode=none'), value)).get('networkmode')).toBe(
      'none',
    );
  });
});

describe('build queries get the hardened profile', () => {
  it('removes intermediate containers and caps CPU, shm and ulimits', async () => {
    const query = await policeBuildQuery(
      new URLSearchParams({
        rm: '0',
        forcerm: '0',
        cpuquota: '800000',
        cpuperiod: '1000',
        cpushares: '262144',
        shmsize: String(8 * 1024 * 1024 * 1024),
        ulimits: JSON.stringify([
          { name: 'nofile', soft: 1048576, hard: 1048576 },
          { Name: 'nproc', Soft: 5, Hard: 5 },
        ]),
      }),
      context().context,
    );
    expect(query.get('rm')).toBe('1');
    expect(query.get('forcerm')).toBe('1');
    expect(query.get('cpuperiod')).toBe('100000');
    expect(query.get('cpuquota')).toBe('100000');
    expect(query.get('cpushares')).toBe('1024');
    expect(query.get('shmsize')).toBe(String(512 * 1024 * 1024));
    expect(JSON.parse(query.get('ulimits') ?? '')).toEqual([
      { Name: 'nproc', Soft: 5, Hard: 5 },
      { Name: 'core', Soft: 0, Hard: 0 },
      { Name: 'nofile', Soft: 1024, Hard: 1024 },
    ]);
  });

  it('keeps smaller requests and refuses raised priorities', async () => {
    const query = await policeBuildQuery(
      new URLSearchParams('cpushares=512&shmsize=1048576'),
      context().context,
    );
    expect(query.get('cpushares')).toBe('512');
    expect(query.get('shmsize')).toBe('1048576');
    const error = await refusal(() =>
      policeBuildQuery(
        new URLSearchParams({ ulimits: '[{"Name":"rtprio","Soft":99,"Hard":99}]' }),
        context().context,
      ),
    );
    expect(error.message).toMatch(/--ulimit rtprio/);
  });
});

describe('anonymous volumes of --mount type=volume', () => {
  it('become run-labelled named volumes', async () => {
    const { context: value, created } = context();
    const body = await policeContainerCreate(
      { Image: 'busybox', HostConfig: { Mounts: [{ Type: 'volume', Target: '/data' }] } },
      'web',
      value,
    );
    const mounts = (body.HostConfig as Json).Mounts as Json[];
    expect(mounts).toHaveLength(1);
    expect(created).toEqual([mounts[0]?.Source]);
    expect(String(mounts[0]?.Source)).toMatch(new RegExp(`^${SCOPE}-anon-[0-9a-f]{24}$`));
  });
});

describe('bind sources checked again at start', () => {
  it('refuses a source that now leads out of the submission', async () => {
    const engine: FakeEngine = { links: { [`${SUBMISSION}/html`]: '/' } };
    const error = await refusal(
      recheckBindSources(
        { HostConfig: { Binds: [`${SUBMISSION}/html:/usr/share/nginx/html:ro`] }, Mounts: [] },
        context(engine).context,
      ),
    );
    expect(error.message).toMatch(/only folders inside the submission .*checked again at start/);
    const socket = await refusal(
      recheckBindSources(
        { Mounts: [{ Type: 'bind', Source: `${SUBMISSION}/s`, Destination: '/s' }] },
        context({ links: { [`${SUBMISSION}/s`]: '/run/docker.sock' }, sockets: ['/run/docker.sock'] })
          .context,
      ),
    );
    expect(socket.message).toMatch(/Docker socket/);
  });

  it('passes sources that still lead into the submission, and volumes', async () => {
    await expect(
      recheckBindSources(
        {
          HostConfig: { Binds: [`${SUBMISSION}/html:/html`, 'data:/data'] },
          Mounts: [{ Type: 'volume', Source: '/var/lib/docker/volumes/x/_data', Destination: '/data' }],
        },
        context().context,
      ),
    ).resolves.toBeUndefined();
  });
});

describe('restart policies of bind-mounting containers stay with the proxy', () => {
  const unlessStopped = { Name: 'unless-stopped', MaximumRetryCount: 0 };

  it('creates a container with a bind (-v or --mount) with policy "no" and the asked one in a label', async () => {
    for (const hostConfig of [
      { Binds: [`${SUBMISSION}/data:/data`], RestartPolicy: unlessStopped },
      {
        Mounts: [{ Type: 'bind', Source: `${SUBMISSION}/data`, Target: '/data' }],
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      },
    ]) {
      const body = await policeContainerCreate(
        { Image: 'busybox', HostConfig: hostConfig },
        'r',
        context().context,
      );
      expect((body.HostConfig as Json).RestartPolicy).toEqual({ Name: 'no', MaximumRetryCount: 0 });
      expect(JSON.parse(String((body.Labels as Json)[RESTART_LABEL]))).toEqual(hostConfig.RestartPolicy);
    }
  });

  it('counts --volumes-from as a bind: the other container’s binds come along', async () => {
    const engine: FakeEngine = { containers: { src: own(`${SCOPE}-src`) } };
    const body = await policeContainerCreate(
      { Image: 'busybox', HostConfig: { VolumesFrom: ['src'], RestartPolicy: { Name: 'always' } } },
      'r',
      context(engine).context,
    );
    expect((body.HostConfig as Json).RestartPolicy).toEqual({ Name: 'no', MaximumRetryCount: 0 });
    expect((body.Labels as Json)[RESTART_LABEL]).toBe('{"Name":"always","MaximumRetryCount":0}');
  });

  it('leaves the policy of a container with volumes only to the engine, and stamps "no" on one with binds', async () => {
    const volumes = await policeContainerCreate(
      { Image: 'busybox', HostConfig: { Binds: ['data:/data'], RestartPolicy: unlessStopped } },
      'r',
      context().context,
    );
    expect((volumes.HostConfig as Json).RestartPolicy).toEqual(unlessStopped);
    expect((volumes.Labels as Json)[RESTART_LABEL]).toBe('');
    const none = await policeContainerCreate(
      { Image: 'busybox', HostConfig: { Binds: [`${SUBMISSION}/d:/d`], RestartPolicy: { Name: 'no' } } },
      'r',
      context().context,
    );
    expect((none.HostConfig as Json).RestartPolicy).toEqual({ Name: 'no', MaximumRetryCount: 0 });
    // Stamped all the same, over one an image's LABEL could pass on to the container.
    expect((none.Labels as Json)[RESTART_LABEL]).toBe('{"Name":"no","MaximumRetryCount":0}');
  });

  it('strips a label of ours the student supplies', async () => {
    const forged = { [RESTART_LABEL]: '{"Name":"always"}' };
    const withoutBinds = await policeContainerCreate(
      { Image: 'busybox', Labels: forged },
      'r',
      context().context,
    );
    expect((withoutBinds.Labels as Json)[RESTART_LABEL]).toBe('');
    const withBinds = await policeContainerCreate(
      { Image: 'busybox', Labels: forged, HostConfig: { Binds: [`${SUBMISSION}/d:/d`] } },
      'r',
      context().context,
    );
    expect((withBinds.Labels as Json)[RESTART_LABEL]).toBe('{"Name":"no","MaximumRetryCount":0}');
  });

  it('refuses what the daemon would refuse, as it never sees the policy', async () => {
    const create = (restart: Json, extra: Json = {}) =>
      policeContainerCreate(
        { Image: 'busybox', HostConfig: { Binds: [`${SUBMISSION}/d:/d`], RestartPolicy: restart, ...extra } },
        'r',
        context().context,
      );
    expect((await refusal(create({ Name: 'sometimes' }))).message).toMatch(/invalid restart policy/);
    expect((await refusal(create({ Name: 'always', MaximumRetryCount: 2 }))).message).toMatch(/on-failure/);
    expect((await refusal(create({ Name: 'on-failure', MaximumRetryCount: -1 }))).message).toMatch(
      /negative/,
    );
    expect((await refusal(create(unlessStopped, { AutoRemove: true }))).message).toMatch(/AutoRemove/);
  });

  const inspected = (labels: Record<string, string>, mounts: Json[], engine = 'no'): Json => ({
    Config: { Labels: labels },
    HostConfig: { RestartPolicy: { Name: engine, MaximumRetryCount: 0 } },
    Mounts: mounts,
  });
  const bind = { Type: 'bind', Source: `${SUBMISSION}/d`, Destination: '/d' };
  const virtual = { [RESTART_LABEL]: JSON.stringify(unlessStopped) };

  it('shows the student the policy asked for, and the engine’s when no label applies', () => {
    const shown = showRequestedRestartPolicy(inspected(virtual, [bind])) as Json;
    expect((shown.HostConfig as Json).RestartPolicy).toEqual(unlessStopped);
    // A label from an image's LABEL on a container without binds is not ours to believe.
    const forged = showRequestedRestartPolicy(inspected(virtual, [])) as Json;
    expect((forged.HostConfig as Json).RestartPolicy).toEqual({ Name: 'no', MaximumRetryCount: 0 });
  });

  it('docker update: refuses a new policy on a bind-mounting container, passes the rest', async () => {
    const details = inspected(virtual, [bind]);
    const error = await refusal(() =>
      policeContainerUpdate({ RestartPolicy: { Name: 'always' } }, { who: 'r', details }),
    );
    expect(error.message).toMatch(/docker update --restart on container r: .*bind-mounts/);
    // The same policy again, or none (the CLI sends an empty name without --restart): nothing for the daemon.
    for (const restart of [unlessStopped, { Name: '', MaximumRetryCount: 0 }]) {
      expect(policeContainerUpdate({ RestartPolicy: restart }, { who: 'r', details }).RestartPolicy).toEqual({
        Name: '',
        MaximumRetryCount: 0,
      });
    }
    const withoutBinds = inspected({}, [], 'no');
    expect(
      policeContainerUpdate({ RestartPolicy: { Name: 'always' } }, { who: 'r', details: withoutBinds })
        .RestartPolicy,
    ).toEqual({ Name: 'always' });
  });
});
