import { describe, expect, it } from 'vitest';
import { composeModel } from '../../src/steps/compose';
import { composePolicyProblems } from '../../src/steps/compose-policy';

describe('what a compose file may ask for', () => {
  it('accepts ordinary services, named volumes and submission folders', () => {
    expect(
      composePolicyProblems({
        web: {
          image: 'nginx',
          ports: ['8080:80'],
          volumes: ['./html:/usr/share/nginx/html:ro', 'data:/data'],
        },
        db: { image: 'redis', cap_add: ['NET_BIND_SERVICE'], network_mode: 'bridge' },
        cache: { image: 'redis', volumes: [{ type: 'volume', source: 'cache', target: '/data' }] },
      }),
    ).toEqual([]);
  });

  it.each([
    [{ privileged: true }, 'asks to run privileged'],
    [{ network_mode: 'host' }, "asks for the host's namespace (network_mode: host)"],
    [{ pid: 'host' }, "asks for the host's namespace (pid: host)"],
    [{ cap_add: ['SYS_ADMIN'] }, 'adds capabilities the grader does not allow (SYS_ADMIN)'],
    [{ devices: ['/dev/sda:/dev/sda'] }, 'asks for host devices'],
    [{ security_opt: ['seccomp:unconfined'] }, 'turns off a security profile'],
    [
      { volumes: ['/var/run/docker.sock:/var/run/docker.sock'] },
      'mounts "/var/run/docker.sock" from the host',
    ],
    [{ volumes: ['/:/host'] }, 'mounts "/" from the host'],
    [{ volumes: ['../../secrets:/s'] }, 'mounts "../../secrets" from the host'],
    [{ volumes: [{ type: 'bind', source: '/etc', target: '/etc2' }] }, 'mounts "/etc" from the host'],
  ])('refuses %j', (service, message) => {
    expect(composePolicyProblems({ evil: { image: 'busybox', ...service } })).toEqual([
      expect.stringContaining(`service "evil" ${message}`),
    ]);
  });

  it('fails the compose step before anything runs, saying what was refused', () => {
    const model = composeModel(
      'services:\n  app:\n    image: busybox\n    privileged: true\n',
      'compose.yaml',
    );
    expect(model).toMatchObject({
      failure: {
        message: 'compose.yaml asks for what the grader does not allow: service "app" asks to run privileged',
      },
    });
  });
});
