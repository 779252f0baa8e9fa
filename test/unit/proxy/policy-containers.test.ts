// The create-container policy and hardening (src/proxy/policy-containers.ts): refusals, what passes
// and how, exec and update bodies, and restart policies. Lookups are fakes (test/support/policy-context.ts).
import { describe, expect, it } from 'vitest';
import { KEPT_CAPABILITIES } from '../../../src/engine/engine';
import { RESTART_LABEL, STUDENT_NAME_LABEL, STUDENT_PORTS_LABEL } from '../../../src/naming/labels';
import type { Json } from '../../../src/proxy/policy';
import {
  policeContainerCreate,
  policeContainerUpdate,
  policeExecCreate,
  showRequestedRestartPolicy,
} from '../../../src/proxy/policy-containers';
import {
  type EngineObjects,
  HOST_NETWORK_ID,
  hostNetworkEngine,
  own,
  policyContext,
  RUN_LABELS,
  refusal,
  SCOPE,
  SUBMISSION,
} from '../../support/policy-context';

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
  const engine: EngineObjects = {
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
      policeContainerCreate({ Image: 'busybox', ...body }, 'web', policyContext(engine).context),
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
        policyContext(engine).context,
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
      policyContext().context,
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
      policyContext().context,
    );
    expect(body.HostConfig).toMatchObject({
      Memory: 64 * 1024 * 1024,
      MemorySwap: 64 * 1024 * 1024,
      PidsLimit: 10,
    });
    expect((body.HostConfig as Json).NanoCpus).toBe(5e8);
  });

  it('grants the exercise’s extra capabilities, and lets the student ask for them', async () => {
    const { context: withNetRaw } = policyContext({}, { extraCapabilities: ['net_raw'], publicPorts: false });
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
      policyContext().context,
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
      policyContext().context,
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
        policyContext({}).context,
      );
      expect((body.HostConfig as Json).PortBindings).toEqual({
        '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      });
      expect(JSON.parse(String((body.Labels as Json)[STUDENT_PORTS_LABEL]))).toEqual({ '80/tcp': [18080] });
    },
  );

  it('allows public ports where the exercise allows them, still ephemeral', async () => {
    const { context: open } = policyContext({}, { extraCapabilities: [], publicPorts: true });
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
    const { context: value, created } = policyContext({
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
    const { context: value, created } = policyContext({ imageVolumes: ['/data', '/logs'] });
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
});

describe('the host network by another name', () => {
  it.each([
    ['its id', HOST_NETWORK_ID],
    ['an id prefix', HOST_NETWORK_ID.slice(0, 5)],
  ])('refuses a container on the host network named by %s', async (_title, reference) => {
    for (const body of [
      { Image: 'busybox', HostConfig: { NetworkMode: reference } },
      { Image: 'busybox', NetworkingConfig: { EndpointsConfig: { [reference]: {} } } },
    ]) {
      const error = await refusal(
        policeContainerCreate(body, 'web', policyContext(hostNetworkEngine).context),
      );
      expect(error.message).toMatch(/--network host\): .* is the host network/);
      expect(error.status).toBe(403);
    }
  });
});

describe('anonymous volumes of --mount type=volume', () => {
  it('become run-labelled named volumes', async () => {
    const { context: value, created } = policyContext();
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
        policyContext().context,
      );
      expect((body.HostConfig as Json).RestartPolicy).toEqual({ Name: 'no', MaximumRetryCount: 0 });
      expect(JSON.parse(String((body.Labels as Json)[RESTART_LABEL]))).toEqual(hostConfig.RestartPolicy);
    }
  });

  it('counts --volumes-from as a bind: the other container’s binds come along', async () => {
    const engine: EngineObjects = { containers: { src: own(`${SCOPE}-src`) } };
    const body = await policeContainerCreate(
      { Image: 'busybox', HostConfig: { VolumesFrom: ['src'], RestartPolicy: { Name: 'always' } } },
      'r',
      policyContext(engine).context,
    );
    expect((body.HostConfig as Json).RestartPolicy).toEqual({ Name: 'no', MaximumRetryCount: 0 });
    expect((body.Labels as Json)[RESTART_LABEL]).toBe('{"Name":"always","MaximumRetryCount":0}');
  });

  it('leaves the policy of a container with volumes only to the engine, and stamps "no" on one with binds', async () => {
    const volumes = await policeContainerCreate(
      { Image: 'busybox', HostConfig: { Binds: ['data:/data'], RestartPolicy: unlessStopped } },
      'r',
      policyContext().context,
    );
    expect((volumes.HostConfig as Json).RestartPolicy).toEqual(unlessStopped);
    expect((volumes.Labels as Json)[RESTART_LABEL]).toBe('');
    const none = await policeContainerCreate(
      { Image: 'busybox', HostConfig: { Binds: [`${SUBMISSION}/d:/d`], RestartPolicy: { Name: 'no' } } },
      'r',
      policyContext().context,
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
      policyContext().context,
    );
    expect((withoutBinds.Labels as Json)[RESTART_LABEL]).toBe('');
    const withBinds = await policeContainerCreate(
      { Image: 'busybox', Labels: forged, HostConfig: { Binds: [`${SUBMISSION}/d:/d`] } },
      'r',
      policyContext().context,
    );
    expect((withBinds.Labels as Json)[RESTART_LABEL]).toBe('{"Name":"no","MaximumRetryCount":0}');
  });

  it('refuses what the daemon would refuse, as it never sees the policy', async () => {
    const create = (restart: Json, extra: Json = {}) =>
      policeContainerCreate(
        { Image: 'busybox', HostConfig: { Binds: [`${SUBMISSION}/d:/d`], RestartPolicy: restart, ...extra } },
        'r',
        policyContext().context,
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
