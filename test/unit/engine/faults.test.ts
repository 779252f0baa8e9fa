// Which daemon messages are the engine's (or a neighbour's) fault rather than the student's,
// the API version floor, and the Classroom result when no grade exists.
import { describe, expect, it } from 'vitest';
import { apiVersionAtLeast, MIN_API_VERSION } from '../../../src/engine/docker-engine';
import { infraFaultIn } from '../../../src/engine/faults';
import { renderClassroomError } from '../../../src/report/classroom';

describe('infraFaultIn', () => {
  it.each([
    [
      'driver failed programming external connectivity on endpoint web (abc): Bind for 0.0.0.0:18080 failed: port is already allocated',
      'port-taken',
    ],
    ['Error starting userland proxy: listen tcp4 127.0.0.1:8080: bind: address already in use', 'port-taken'],
    [
      'failed to create endpoint web on network bridge: could not find bridge docker0: route ip+net: no such network interface',
      'bridge-missing',
    ],
    ['network bridge not found', 'bridge-missing'],
    [
      // Engine 26's words for the same fault (libnetwork's bridge driver, netlink's error).
      'failed to create endpoint web on network bridge: adding interface veth1a2b3c4 to bridge agpdx1y2z3 failed: Device does not exist',
      'bridge-missing',
    ],
    ['client version 1.41 is too new. Maximum supported API version is 1.24', 'api-version'],
    ['client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade', 'api-version'],
    [
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      'unreachable',
    ],
    // The student's own mistakes stay the student's.
    ['network mynet not found', undefined],
    ['No such container: web', undefined],
    ['pull access denied for nosuchimage, repository does not exist', undefined],
    ['Conflict. The container name "/web" is already in use by container "abc"', undefined],
    ['invalid reference format', undefined],
  ])('%s -> %s', (message, fault) => {
    expect(infraFaultIn(message)).toBe(fault);
  });
});

describe('apiVersionAtLeast', () => {
  it('compares versions part by part as numbers', () => {
    expect(apiVersionAtLeast('1.41', MIN_API_VERSION)).toBe(true);
    expect(apiVersionAtLeast('1.40', '1.40')).toBe(true);
    expect(apiVersionAtLeast('1.24', MIN_API_VERSION)).toBe(false);
    expect(apiVersionAtLeast('1.9', '1.10')).toBe(false);
    expect(apiVersionAtLeast('2.0', '1.40')).toBe(true);
    expect(apiVersionAtLeast('', MIN_API_VERSION)).toBe(false);
  });
});

describe('renderClassroomError', () => {
  it("is Classroom's status error with no score to record, and the reason on one line", () => {
    const decoded = JSON.parse(
      Buffer.from(renderClassroomError('Docker engine not reachable\n::error::x'), 'base64').toString('utf8'),
    );
    expect(decoded).toMatchObject({ version: 1, status: 'error', max_score: 0 });
    expect(decoded.tests).toHaveLength(1);
    expect(decoded.tests[0]).toMatchObject({ status: 'error', score: 0 });
    expect(decoded.tests[0].message).toContain('Docker engine not reachable');
    expect(decoded.tests[0].message).not.toContain('\n');
    // One line that does not start with ::, so the reporter's log cannot read a workflow command.
    expect(decoded.tests[0].message).not.toMatch(/^\s*::/);
  });
});
