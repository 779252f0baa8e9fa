// The network-create policy (src/proxy/policy-networks.ts).
import { describe, expect, it } from 'vitest';
import { STUDENT_NAME_LABEL } from '../../../src/naming/labels';
import { policeNetworkCreate } from '../../../src/proxy/policy-networks';
import { policyContext, RUN_LABELS, refusal, SCOPE } from '../../support/policy-context';

describe('other bodies', () => {
  it('scopes and labels a network; refuses other drivers and the bridge name option', async () => {
    const { context: value } = policyContext();
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
});
