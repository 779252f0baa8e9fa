// The network, volume and reach checks on the real engine, through grade(): networks and
// volumes the exercise made (known by its names) and ones a student made with the docker CLI.
import { describe } from 'vitest';
import { failed, failedOn, itFindsChecks, passed } from '../../support/check-tables';
import { exerciseYaml, gradedOnce, itLeavesNothingOfTheRun, uniqueRunId } from '../../support/inline-grading';

const runId = uniqueRunId('checksnetvol');
const foreignNetwork = `${runId}-student-net`;
const foreignVolume = `${runId}-student-vol`;
const student = `${runId}-student`;
const island = `${runId}-island`;
const stopped = `${runId}-stopped`;

function spec(islandIp: string): string {
  return exerciseYaml('test/network-volume-reach', {
    steps: `
  - network: { name: front }
  - network: { name: back, internal: true }
  - volume: { name: data }
  - run: { name: proxy, image: busybox:latest, command: [sleep, "600"], networks: [front] }
  - run:
      name: app
      image: busybox:latest
      command: [httpd, -f, -p, "8080"]
      networks: [{ name: front, aliases: [app] }, { name: back, aliases: [app] }]
  - run:
      name: db
      image: busybox:latest
      command: [httpd, -f, -p, "5432"]
      networks: [{ name: back, aliases: [db] }]
`,
    checks: `
  - name: network passes
    network: { name: front }
    expect: { exists: true, driver: bridge, internal: false, members: [app, proxy] }
  - name: network fails
    network: { name: back }
    expect: { members: { contains: proxy } }
  - name: student network
    network: { name: ${foreignNetwork} }
    expect: { exists: true, labels: { course: docker }, members: [${island}, ${student}] }
  - name: missing network
    network: { name: ${runId}-nothing }
    expect: { exists: false }
  - name: volume passes
    volume: { name: data }
    expect: { exists: true, driver: local }
  - name: volume fails
    volume: { name: data }
    expect: { driver: nfs }
  - name: student volume
    volume: { name: ${foreignVolume} }
    expect: { exists: true, labels: { course: docker } }
  - name: missing volume
    volume: { name: ${runId}-nothing }
    expect: { exists: false }
  - name: reach passes
    reach: { from: proxy, to: app, port: 8080 }
    expect: { resolves: true, reachable: true }
  - name: reach isolated
    reach: { from: proxy, to: db, port: 5432 }
    expect: { resolves: false, reachable: false }
  - name: reach fails
    reach: { from: proxy, to: db, port: 5432 }
    expect: { reachable: true }
  - name: reach closed port
    reach: { from: app, to: db, port: 9 }
    expect: { resolves: true, reachable: false }
  - name: reach name only
    reach: { from: app, to: db }
    expect: { resolves: true }
  - name: reach another network by address
    reach: { from: proxy, to: "${islandIp}", port: 8080, timeout: 1s }
    expect: { resolves: true, reachable: false }
  - name: reach from a stopped container
    reach: { from: ${stopped}, to: app, port: 8080 }
    expect: { reachable: true }
`,
  });
}

const graded = gradedOnce(runId, async ({ docker, label, stoppedContainer }) => {
  // What a student's script would have made: unknown to the exercise's steps.
  await docker('network', 'create', ...label, '--label', 'course=docker', foreignNetwork);
  await docker('volume', 'create', ...label, '--label', 'course=docker', foreignVolume);
  await docker(
    'run',
    '-d',
    '--name',
    student,
    ...label,
    '--network',
    foreignNetwork,
    'busybox:latest',
    'sleep',
    '600',
  );
  await docker(
    'run',
    '-d',
    '--name',
    island,
    ...label,
    '--network',
    foreignNetwork,
    'busybox:latest',
    'httpd',
    '-f',
    '-p',
    '8080',
  );
  await stoppedContainer(stopped, 'true');
  const islandIp = await docker(
    'inspect',
    '-f',
    '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
    island,
  );
  return { yaml: spec(islandIp) };
});

// The network and volume checks are tested alike: a step's by its name, one failing field, and a
// student's by its engine name next to a missing one.
for (const { kind, passes, field, expected, actual } of [
  {
    kind: 'network',
    passes: 'finds a network step by its name and shows members by their step names',
    field: 'members',
    expected: 'contains "proxy"',
    actual: '["app","db"]',
  },
  {
    kind: 'volume',
    passes: 'finds a volume step by its name',
    field: 'driver',
    expected: 'equals "nfs"',
    actual: 'local',
  },
]) {
  describe(`${kind} check`, () => {
    itFindsChecks(graded, [
      [passes, { [`${kind} passes`]: passed }],
      [`fails with the ${field} as actual`, { [`${kind} fails`]: failedOn(field, expected, actual) }],
      [
        `finds a student's ${kind} by its engine name, and a missing one is exists: false`,
        { [`student ${kind}`]: passed, [`missing ${kind}`]: passed },
      ],
    ]);
  });
}

describe('reach check', () => {
  itFindsChecks(graded, [
    ['resolves and connects across a shared network', { 'reach passes': passed }],
    [
      'neither resolves nor reaches a container on another network',
      {
        'reach isolated': passed,
        'reach fails': failedOn('reachable', 'equals true', 'false'),
      },
    ],
    [
      'tells a closed port and a name-only probe apart from an unknown name',
      { 'reach closed port': passed, 'reach name only': passed },
    ],
    ['does not reach an address on another network', { 'reach another network by address': passed }],
    [
      'says why it cannot probe from a stopped container',
      {
        'reach from a stopped container': failed(
          `container "${stopped}" is not running (exited, exit code 0)`,
        ),
      },
    ],
  ]);
  itLeavesNothingOfTheRun(runId);
});
