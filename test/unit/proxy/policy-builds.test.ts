// The build-query policy (src/proxy/policy-builds.ts): scoped tags, labels, the hardened profile
// and the networks a build may use.
import { describe, expect, it } from 'vitest';
import { RESTART_LABEL, STUDENT_NAME_LABEL, STUDENT_PORTS_LABEL } from '../../../src/naming/labels';
import { policeBuildQuery } from '../../../src/proxy/policy-builds';
import {
  HOST_NETWORK_ID,
  hostNetworkEngine,
  policyContext,
  RUN_LABELS,
  refusal,
  SCOPE,
} from '../../support/policy-context';

describe('other bodies', () => {
  it('scopes build tags, stamps the labels, caps memory; refuses host network and remote contexts', async () => {
    const { context: value } = policyContext();
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
    const { context: value } = policyContext();
    const query = await policeBuildQuery(new URLSearchParams('t=app&ulimits=null'), value);
    const ulimits = JSON.parse(query.get('ulimits') ?? '') as { Name: string }[];
    expect(ulimits.map((limit) => limit.Name).sort()).toEqual(['core', 'nofile']);
  });
});

describe('the host network by another name', () => {
  it('refuses a build on the host network by id, and on the run’s own network', async () => {
    const { context: value } = policyContext(hostNetworkEngine);
    const error = await refusal(() =>
      policeBuildQuery(new URLSearchParams(`networkmode=${HOST_NETWORK_ID}`), value),
    );
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
      policyContext().context,
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
      policyContext().context,
    );
    expect(query.get('cpushares')).toBe('512');
    expect(query.get('shmsize')).toBe('1048576');
    const error = await refusal(() =>
      policeBuildQuery(
        new URLSearchParams({ ulimits: '[{"Name":"rtprio","Soft":99,"Hard":99}]' }),
        policyContext().context,
      ),
    );
    expect(error.message).toMatch(/--ulimit rtprio/);
  });
});
