// The network, volume and reach checks on the real engine, through grade(): networks and
// volumes the exercise made (known by its names) and ones a student made with the docker CLI.
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

const runId = newRunId('netvol');
const foreignNetwork = `${runId}-student-net`;
const foreignVolume = `${runId}-student-vol`;
const student = `${runId}-student`;
const island = `${runId}-island`;
const stopped = `${runId}-stopped`;

function spec(islandIp: string): string {
  return `version: 1
id: test/network-volume-reach
title: network, volume and reach
steps:
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
checks:
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
`;
}

let result: ExerciseResult;
let log: string[];

beforeAll(async () => {
  // What a student's script would have made: unknown to the exercise's steps.
  await docker('network', 'create', ...runLabel(runId), '--label', 'course=docker', foreignNetwork);
  await docker('volume', 'create', ...runLabel(runId), '--label', 'course=docker', foreignVolume);
  await docker(
    'run',
    '-d',
    '--name',
    student,
    ...runLabel(runId),
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
    ...runLabel(runId),
    '--network',
    foreignNetwork,
    'busybox:latest',
    'httpd',
    '-f',
    '-p',
    '8080',
  );
  await docker('run', '--name', stopped, ...runLabel(runId), 'busybox:latest', 'true');
  const islandIp = await docker(
    'inspect',
    '-f',
    '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
    island,
  );
  ({ result, log } = await gradeInline(runId, spec(islandIp)));
});

afterAll(async () => {
  await removeEverything(runId);
});

describe('network check', () => {
  it('finds a network step by its name and shows members by their step names', () => {
    expect(check(result, 'network passes'), explain(result, log)).toMatchObject({ status: 'pass' });
  });

  it('fails with the members as actual', () => {
    expect(check(result, 'network fails'), explain(result, log)).toMatchObject({
      status: 'fail',
      message: 'members not as expected',
      expected: 'contains "proxy"',
      actual: '["app","db"]',
    });
  });

  it("finds a student's network by its engine name, and a missing one is exists: false", () => {
    expect(check(result, 'student network'), explain(result, log)).toMatchObject({ status: 'pass' });
    expect(check(result, 'missing network'), explain(result, log)).toMatchObject({ status: 'pass' });
  });
});

describe('volume check', () => {
  it('finds a volume step by its name', () => {
    expect(check(result, 'volume passes'), explain(result, log)).toMatchObject({ status: 'pass' });
  });

  it('fails with the driver as actual', () => {
    expect(check(result, 'volume fails'), explain(result, log)).toMatchObject({
      status: 'fail',
      message: 'driver not as expected',
      expected: 'equals "nfs"',
      actual: 'local',
    });
  });

  it("finds a student's volume by its engine name, and a missing one is exists: false", () => {
    expect(check(result, 'student volume'), explain(result, log)).toMatchObject({ status: 'pass' });
    expect(check(result, 'missing volume'), explain(result, log)).toMatchObject({ status: 'pass' });
  });
});

describe('reach check', () => {
  it('resolves and connects across a shared network', () => {
    expect(check(result, 'reach passes'), explain(result, log)).toMatchObject({ status: 'pass' });
  });

  it('neither resolves nor reaches a container on another network', () => {
    expect(check(result, 'reach isolated'), explain(result, log)).toMatchObject({ status: 'pass' });
    expect(check(result, 'reach fails'), explain(result, log)).toMatchObject({
      status: 'fail',
      message: 'reachable not as expected',
      expected: 'equals true',
      actual: 'false',
    });
  });

  it('tells a closed port and a name-only probe apart from an unknown name', () => {
    expect(check(result, 'reach closed port'), explain(result, log)).toMatchObject({ status: 'pass' });
    expect(check(result, 'reach name only'), explain(result, log)).toMatchObject({ status: 'pass' });
  });

  it('does not reach an address on another network', () => {
    expect(check(result, 'reach another network by address'), explain(result, log)).toMatchObject({
      status: 'pass',
    });
  });

  it('says why it cannot probe from a stopped container', () => {
    expect(check(result, 'reach from a stopped container'), explain(result, log)).toMatchObject({
      status: 'fail',
      message: `container "${stopped}" is not running (exited, exit code 0)`,
    });
  });

  it('leaves nothing of the run on the engine', async () => {
    expect(await leftovers(runId)).toEqual([]);
  });
});
