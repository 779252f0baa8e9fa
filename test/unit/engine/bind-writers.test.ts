// The freeze that makes a bind source impossible to swap between the check and the daemon's mount
// (src/engine/rules/bind-writers.ts), and the run step's check that a resolved source is unchanged.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bindSources,
  changedBindSource,
  freezeWriters,
  mountsHostPath,
  runningBindWriters,
  takeRunLock,
  type WriterControl,
  withWritersFrozen,
} from '../../../src/engine/rules/bind-writers';

/** A recording control: which containers are paused right now, and every call in order. */
function recorder(writers: string[], options: { failPause?: string; gone?: string } = {}) {
  const paused = new Set<string>();
  const calls: string[] = [];
  const control: WriterControl = {
    writers: async () => [...writers],
    pause: async (id) => {
      calls.push(`pause ${id}`);
      if (id === options.failPause) throw new Error(`cannot pause ${id}`);
      if (id === options.gone) return false;
      paused.add(id);
      return true;
    },
    unpause: async (id) => {
      calls.push(`unpause ${id}`);
      paused.delete(id);
    },
  };
  return { control, paused, calls };
}

describe('freezing the writers of a run', () => {
  it('keeps every writer paused during the action and none after', async () => {
    const { control, paused } = recorder(['a', 'b']);
    let seen: string[] = [];
    const result = await withWritersFrozen('run-1', control, async () => {
      seen = [...paused].sort();
      return 'started';
    });
    expect(result).toBe('started');
    expect(seen).toEqual(['a', 'b']);
    expect([...paused]).toEqual([]);
  });

  it('thaws what it paused when the action fails, and passes the failure on', async () => {
    const { control, paused } = recorder(['a']);
    await expect(
      withWritersFrozen('run-2', control, async () => {
        throw new Error('source swapped');
      }),
    ).rejects.toThrow('source swapped');
    expect([...paused]).toEqual([]);
  });

  it('does not go ahead half frozen: a failed pause unpauses the others and fails', async () => {
    const { control, paused, calls } = recorder(['a', 'b'], { failPause: 'b' });
    await expect(freezeWriters('run-3', control)).rejects.toThrow('cannot pause b');
    expect([...paused]).toEqual([]);
    expect(calls).toContain('unpause a');
  });

  it('never unpauses a container it did not pause (gone, or already paused)', async () => {
    const { control, calls } = recorder(['a', 'gone'], { gone: 'gone' });
    const thaw = await freezeWriters('run-4', control);
    await thaw();
    await thaw();
    expect(calls.filter((call) => call.startsWith('unpause'))).toEqual(['unpause a']);
  });

  it('holds a second freeze of the same run until the first thawed, not one of another run', async () => {
    const order: string[] = [];
    const first = await freezeWriters('run-5', recorder(['a']).control);
    const second = freezeWriters('run-5', recorder(['a']).control).then((thaw) => {
      order.push('second frozen');
      return thaw;
    });
    const other = await freezeWriters('run-6', recorder(['x']).control);
    order.push('other run frozen');
    await other();
    order.push('first thawed');
    await first();
    await (await second)();
    expect(order).toEqual(['other run frozen', 'first thawed', 'second frozen']);
  });

  it("makes a student's pause request wait for a freeze of the run", async () => {
    const order: string[] = [];
    const thaw = await freezeWriters('run-7', recorder(['a']).control);
    const pauseRequest = takeRunLock('run-7').then((release) => {
      order.push('pause forwarded');
      release();
    });
    order.push('start forwarded');
    await thaw();
    await pauseRequest;
    expect(order).toEqual(['start forwarded', 'pause forwarded']);
  });
});

describe('which containers mount a host path', () => {
  it('reads Binds, Mounts of type bind and --volumes-from, not volumes or tmpfs', () => {
    expect(mountsHostPath({ HostConfig: { Binds: ['/sub/data:/data:ro'] } })).toBe(true);
    expect(mountsHostPath({ HostConfig: { Binds: ['named:/data'] } })).toBe(false);
    expect(mountsHostPath({ HostConfig: { Mounts: [{ Type: 'bind', Source: '/sub' }] } })).toBe(true);
    expect(mountsHostPath({ HostConfig: { Mounts: [{ Type: 'tmpfs', Target: '/t' }] } })).toBe(false);
    expect(mountsHostPath({ HostConfig: { VolumesFrom: ['other'] } })).toBe(true);
    expect(mountsHostPath({ Mounts: [{ Type: 'bind', Source: '/sub' }] })).toBe(true);
    expect(mountsHostPath({ Mounts: [{ Type: 'volume', Name: 'v' }] })).toBe(false);
    expect(mountsHostPath({})).toBe(false);
  });

  it('lists the running ones of a container list as writers, not paused or exited ones', () => {
    const bind = [{ Type: 'bind', Source: '/sub' }];
    expect(
      runningBindWriters([
        { Id: 'running-bind', State: 'running', Mounts: bind },
        { Id: 'paused-bind', State: 'paused', Mounts: bind },
        { Id: 'exited-bind', State: 'exited', Mounts: bind },
        { Id: 'running-volume', State: 'running', Mounts: [{ Type: 'volume' }] },
      ]),
    ).toEqual(['running-bind']);
    expect(runningBindWriters({ message: 'not a list' })).toEqual([]);
  });
});

describe('a resolved bind source checked again before the mount', () => {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'bind-writers-')));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes a folder still in place and names one swapped for a symlink or removed', async () => {
    mkdirSync(path.join(dir, 'data'));
    mkdirSync(path.join(dir, 'kept'));
    expect(await changedBindSource([path.join(dir, 'data'), path.join(dir, 'kept')])).toBeUndefined();
    rmSync(path.join(dir, 'data'), { recursive: true });
    symlinkSync('/', path.join(dir, 'data'));
    expect(await changedBindSource([path.join(dir, 'kept'), path.join(dir, 'data')])).toMatch(
      /data was replaced/,
    );
    expect(await changedBindSource([path.join(dir, 'missing')])).toMatch(/missing was replaced/);
  });
});

describe('a pause the freezer gives up on', () => {
  it('is tried again, and the freeze goes ahead when a later try pauses', async () => {
    let tries = 0;
    const paused = new Set<string>();
    const control: WriterControl = {
      writers: async () => ['forky'],
      pause: async (id) => {
        tries++;
        if (tries < 3) throw new Error('unable to freeze');
        paused.add(id);
        return true;
      },
      unpause: async (id) => {
        paused.delete(id);
      },
    };
    const thaw = await freezeWriters('run-8', control);
    expect([...paused]).toEqual(['forky']);
    await thaw();
    expect(tries).toBe(3);
    expect([...paused]).toEqual([]);
  });

  it('fails the freeze when every try fails', async () => {
    const control: WriterControl = {
      writers: async () => ['forky'],
      pause: async () => {
        throw new Error('unable to freeze');
      },
      unpause: async () => undefined,
    };
    await expect(freezeWriters('run-9', control)).rejects.toThrow('unable to freeze');
  });
});

describe('the bind sources of an inspected container', () => {
  it('are the sources of its bind mounts, not its volumes', () => {
    expect(
      bindSources({
        Mounts: [
          { Type: 'bind', Source: '/sub/site', Destination: '/site' },
          { Type: 'volume', Name: 'v', Source: '/var/lib/docker/volumes/v/_data' },
        ],
      }),
    ).toEqual(['/sub/site']);
    expect(bindSources({})).toEqual([]);
  });
});
