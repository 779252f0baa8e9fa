// The daemon's container JSON mapped onto the Engine's model: the restart policy a student asked
// for, which the proxy keeps in a label for a bind-mounting container.
import { describe, expect, it } from 'vitest';
import {
  processCommands,
  type RawContainer,
  toContainerState,
} from '../../../src/engine/wire/docker-mapping';
import { RESTART_LABEL } from '../../../src/naming/labels';

function raw(labels: Record<string, string>, enginePolicy: string, mountType: string): RawContainer {
  return {
    Id: 'abc',
    Name: '/run1-1-r',
    State: { Status: 'running', Running: true, ExitCode: 0, OOMKilled: false },
    Config: { Image: 'busybox', Labels: labels },
    HostConfig: { RestartPolicy: { Name: enginePolicy, MaximumRetryCount: 0 } },
    Mounts: [{ Type: mountType, Source: '/work/submission/data', Destination: '/data', RW: true }],
    NetworkSettings: {},
  };
}

const asked = { [RESTART_LABEL]: '{"Name":"unless-stopped","MaximumRetryCount":0}' };

describe('restart policy of a container', () => {
  it('is the one asked for when the proxy kept it from the daemon, and the daemon’s is "no"', () => {
    const state = toContainerState(raw(asked, 'no', 'bind'));
    expect(state.restartPolicy).toBe('unless-stopped');
    expect(state.daemonRestartPolicy).toBe('no');
  });

  it('is the engine’s without the label', () => {
    const state = toContainerState(raw({}, 'always', 'bind'));
    expect(state).toMatchObject({ restartPolicy: 'always', daemonRestartPolicy: 'always' });
    expect(toContainerState(raw({}, '', 'volume')).restartPolicy).toBe('no');
  });

  it('ignores a label the proxy cannot have set: no bind mount (an image’s LABEL), a real policy, bad JSON', () => {
    expect(toContainerState(raw(asked, 'no', 'volume')).restartPolicy).toBe('no');
    expect(toContainerState(raw(asked, 'on-failure', 'bind')).restartPolicy).toBe('on-failure');
    expect(toContainerState(raw({ [RESTART_LABEL]: '{' }, 'no', 'bind')).restartPolicy).toBe('no');
    // Empty: set at create over whatever a LABEL of the image would have passed on.
    expect(toContainerState(raw({ [RESTART_LABEL]: '' }, 'no', 'bind')).restartPolicy).toBe('no');
  });
});

describe('process listings', () => {
  it('reads the CMD column, and a null list (the last process just exiting) as none', () => {
    const titles = ['UID', 'PID', 'CMD'];
    expect(processCommands({ Titles: titles, Processes: [['root', '1', 'nginx -g daemon off;']] })).toEqual([
      'nginx -g daemon off;',
    ]);
    expect(processCommands({ Titles: titles, Processes: null })).toEqual([]);
    expect(() => processCommands({ Titles: 'x', Processes: 'y' })).toThrow(/unexpected/);
  });

  it('lists a parent before its children, wherever the host’s PID counter stands', () => {
    const titles = ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'];
    const row = (pid: string, ppid: string, cmd: string) => [
      'root',
      pid,
      ppid,
      '0',
      '15:16',
      '?',
      '00:00:00',
      cmd,
    ];
    // After a wrap-around the worker (PID 301) is listed before its master (PID 32760).
    const listed = {
      Titles: titles,
      Processes: [
        row('301', '32760', 'nginx: worker process'),
        row('32760', '32740', 'nginx: master process nginx -g daemon off;'),
        row('302', '32760', 'nginx: worker process'),
      ],
    };
    expect(processCommands(listed)).toEqual([
      'nginx: master process nginx -g daemon off;',
      'nginx: worker process',
      'nginx: worker process',
    ]);
  });
});
