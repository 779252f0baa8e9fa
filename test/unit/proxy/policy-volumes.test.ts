// The volume-create policy (src/proxy/policy-volumes.ts).
import { describe, expect, it } from 'vitest';
import { STUDENT_NAME_LABEL } from '../../../src/naming/labels';
import { policeVolumeCreate } from '../../../src/proxy/policy-volumes';
import { policyContext, RUN_LABELS, refusal, SCOPE } from '../../support/policy-context';

describe('other bodies', () => {
  it('scopes and labels a volume; refuses host-path options, allows tmpfs', async () => {
    const { context: value } = policyContext();
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
});
