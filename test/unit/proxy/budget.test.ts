import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  budgetRefusal,
  CONTAINER_DISK_ENV,
  containerDiskBound,
  DEFAULT_CONTAINER_DISK_BYTES,
  exerciseBudget,
  layerSizeRefusal,
  limitsOf,
  sizeInBytes,
  storageOptWithBound,
} from '../../../src/proxy/budget';
import { boundContainerDisk, engineBoundsLayers } from '../../../src/proxy/budget-check';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const PER_CONTAINER = { memory: 512 * MIB, pids: 256 };

describe("an exercise's aggregate budget", () => {
  it('is never more than half the host memory, even when the containers could hold more', () => {
    const budget = exerciseBudget(
      { totalMemory: 8 * GIB, pidMax: 32768, concurrentExercises: 1 },
      PER_CONTAINER,
      50,
    );
    expect(budget.memory).toBe(4 * GIB);
    expect(budget.memory).toBeLessThan(50 * PER_CONTAINER.memory);
    expect(budget.pids).toBe(8192);
  });

  it('is shared by the exercises graded at once, so that all of them stay within half the host', () => {
    const host = { totalMemory: 8 * GIB, pidMax: 32768, concurrentExercises: 4 };
    const budget = exerciseBudget(host, PER_CONTAINER, 50);
    expect(budget.memory * host.concurrentExercises).toBeLessThanOrEqual(host.totalMemory / 2);
    expect(budget.pids * host.concurrentExercises).toBeLessThanOrEqual(host.pidMax / 4);
  });

  it('is the containers’ own caps on a large host', () => {
    const budget = exerciseBudget(
      { totalMemory: 256 * GIB, pidMax: 4194304, concurrentExercises: 1 },
      PER_CONTAINER,
      50,
    );
    expect(budget).toEqual({ memory: 50 * 512 * MIB, pids: 50 * 256 });
  });

  it('lets a container in while it fits, and refuses the one that does not, saying what is left', () => {
    const budget = { memory: 2 * GIB, pids: 2000 };
    const three = [PER_CONTAINER, PER_CONTAINER, PER_CONTAINER];
    expect(budgetRefusal(PER_CONTAINER, three, budget)).toBeUndefined();
    expect(budgetRefusal(PER_CONTAINER, [...three, PER_CONTAINER], budget)).toMatch(
      /may use 2048 MiB of memory together, and 0 MiB is left/,
    );
    expect(
      budgetRefusal({ memory: 64 * MIB, pids: 16 }, [...three, { memory: 448 * MIB, pids: 16 }], budget),
    ).toBe(undefined);
  });

  it('refuses on processes as on memory', () => {
    const budget = { memory: 100 * GIB, pids: 600 };
    expect(budgetRefusal(PER_CONTAINER, [PER_CONTAINER, PER_CONTAINER], budget)).toMatch(
      /may run 600 processes together, and 88 are left/,
    );
  });

  it('counts a container without limits at the cap', () => {
    expect(limitsOf({ Memory: 0, PidsLimit: null }, PER_CONTAINER)).toEqual(PER_CONTAINER);
    expect(limitsOf({ Memory: 64 * MIB, PidsLimit: 32 }, PER_CONTAINER)).toEqual({
      memory: 64 * MIB,
      pids: 32,
    });
    expect(limitsOf(undefined, PER_CONTAINER)).toEqual(PER_CONTAINER);
  });

  it('says when a writable layer is past its bound, and what to do', () => {
    expect(layerSizeRefusal(2 * GIB, GIB)).toMatch(
      /^it wrote 2048 MiB to its own filesystem, more than the 1024 MiB a container may write, and was stopped \(killed\): write less/,
    );
    expect(layerSizeRefusal(GIB, GIB)).toBeUndefined();
    expect(layerSizeRefusal(undefined, GIB)).toBeUndefined();
  });
});

describe('the disk a container may write', () => {
  it('is 2 GiB unless the environment gives a number of MiB', () => {
    expect(containerDiskBound({})).toBe(DEFAULT_CONTAINER_DISK_BYTES);
    expect(DEFAULT_CONTAINER_DISK_BYTES).toBe(2 * GIB);
    expect(containerDiskBound({ [CONTAINER_DISK_ENV]: '64' })).toBe(64 * MIB);
    for (const wrong of ['', '0', '-5', '1.5', '64m', 'lots'])
      expect(containerDiskBound({ [CONTAINER_DISK_ENV]: wrong })).toBe(DEFAULT_CONTAINER_DISK_BYTES);
  });

  it('reads sizes as Docker does', () => {
    expect(sizeInBytes('1048576')).toBe(MIB);
    expect(sizeInBytes('512m')).toBe(512 * MIB);
    expect(sizeInBytes('2G')).toBe(2 * GIB);
    expect(sizeInBytes('1.5gb')).toBe(1.5 * GIB);
    expect(sizeInBytes('10GiB')).toBe(10 * GIB);
    expect(sizeInBytes('ten')).toBeUndefined();
    expect(sizeInBytes('-1g')).toBeUndefined();
  });

  it('sets StorageOpt size at most the bound, keeping a smaller one and other options', () => {
    expect(storageOptWithBound(undefined, GIB)).toEqual({ size: String(GIB) });
    expect(storageOptWithBound({ size: '100g' }, GIB)).toEqual({ size: String(GIB) });
    expect(storageOptWithBound({ Size: '256m', other: 'x' }, GIB)).toEqual({
      size: String(256 * MIB),
      other: 'x',
    });
    expect(storageOptWithBound({ size: 'nonsense' }, GIB)).toEqual({ size: String(GIB) });
    expect(storageOptWithBound({ size: '0' }, GIB)).toEqual({ size: String(GIB) });
  });
});

/** An engine that answers /info and container creates as told, and records what it was asked. */
function fakeEngine(answers: {
  info: Record<string, unknown>;
  create: { status: number; body: Record<string, unknown> };
}): { socketPath: string; requests: string[]; close: () => Promise<void> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'budget-engine-'));
  const socketPath = path.join(dir, 'engine.sock');
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push(
        `${request.method} ${request.url?.replace(/name=[^&]*/, 'name=…')}${body ? ` ${body}` : ''}`,
      );
      const send = (status: number, answer?: unknown): void => {
        response.writeHead(status, { 'Content-Type': 'application/json' });
        response.end(answer === undefined ? '' : JSON.stringify(answer));
      };
      if (request.url === '/info') send(200, answers.info);
      else if (request.url?.startsWith('/containers/create'))
        send(answers.create.status, answers.create.body);
      else if (request.method === 'DELETE') send(204);
      else send(404, { message: 'not here' });
    });
  });
  server.listen(socketPath);
  return {
    socketPath,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}

describe('whether an engine bounds a writable layer (StorageOpt size)', () => {
  const engines: Array<{ close: () => Promise<void> }> = [];
  afterAll(async () => {
    for (const engine of engines) await engine.close();
  });
  const labels = { 'org.docker-autograder.run': 'r1' };
  let daemon = 0;
  const info = (driver: string, backing: string): Record<string, unknown> => {
    daemon += 1;
    return { ID: `daemon-${daemon}`, Driver: driver, DriverStatus: [['Backing Filesystem', backing]] };
  };
  /** A fresh engine (a daemon of its own) on `driver` over `backing` that answers a create with `create`; closed after all. */
  const engineOn = (
    driver: string,
    backing: string,
    create: { status: number; body: Record<string, unknown> },
  ): ReturnType<typeof fakeEngine> => {
    const engine = fakeEngine({ info: info(driver, backing), create });
    engines.push(engine);
    return engine;
  };

  it('is known without a probe for overlay2 over anything but xfs (this engine: ext4)', async () => {
    const engine = engineOn('overlay2', 'extfs', { status: 201, body: { Id: 'x' } });
    const upstream = { socketPath: engine.socketPath };
    expect(await engineBoundsLayers(upstream, 'busybox', labels)).toBe(false);
    const body = { Image: 'busybox', HostConfig: { Memory: 1 } };
    expect(await boundContainerDisk(upstream, body, labels, GIB)).toBe(body);
    // Asked once for the connection a proxy keeps, and nothing but /info.
    expect(engine.requests).toEqual(['GET /info']);
  });

  it('is probed once per engine elsewhere: a probe the engine takes is removed, and the bound is set', async () => {
    const engine = engineOn('overlay2', 'xfs', { status: 201, body: { Id: 'probe1' } });
    const upstream = { socketPath: engine.socketPath };
    const bounded = await boundContainerDisk(
      upstream,
      { Image: 'busybox', HostConfig: { Memory: 1, StorageOpt: { size: '100g' } } },
      labels,
      GIB,
    );
    expect(bounded).toEqual({
      Image: 'busybox',
      HostConfig: { Memory: 1, StorageOpt: { size: String(GIB) } },
    });
    expect(await engineBoundsLayers(upstream, 'busybox', labels)).toBe(true);
    const probes = engine.requests.filter((request) => request.startsWith('POST /containers/create'));
    expect(probes).toHaveLength(1);
    expect(probes[0]).toContain('"StorageOpt":{"size":"1073741824"}');
    expect(probes[0]).toContain('"org.docker-autograder.run":"r1"');
    expect(engine.requests).toContain('DELETE /containers/probe1?force=1');
  });

  it('says no when the engine refuses the option, and asks again when the probe could not tell', async () => {
    const refusing = engineOn('overlay2', 'xfs', {
      status: 500,
      body: { message: "--storage-opt is supported only for overlay over xfs with 'pquota' mount option" },
    });
    const missingImage = engineOn('btrfs', '', {
      status: 404,
      body: { message: 'No such image: nothing:1' },
    });
    for (let index = 0; index < 2; index++) {
      expect(await engineBoundsLayers({ socketPath: refusing.socketPath }, 'busybox', labels)).toBe(false);
      expect(await engineBoundsLayers({ socketPath: missingImage.socketPath }, 'nothing:1', labels)).toBe(
        false,
      );
    }
    const creates = (requests: string[]): number =>
      requests.filter((request) => request.startsWith('POST /containers/create')).length;
    expect(creates(refusing.requests)).toBe(1);
    expect(creates(missingImage.requests)).toBe(2);
  });
});
