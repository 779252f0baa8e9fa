// The host ports a student asked for, shown back in inspections and lists (src/proxy/ports.ts).
import { describe, expect, it } from 'vitest';
import { STUDENT_PORTS_LABEL } from '../../../src/naming/labels';
import type { Json } from '../../../src/proxy/policy';
import { showRequestedListPorts, showRequestedPorts } from '../../../src/proxy/ports';

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
