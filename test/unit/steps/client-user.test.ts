// The client container's user (src/steps/client-user.ts): never root, never the grader; the
// submission's folders are group-writable while a step uses them, and as they were afterwards.
import { chmod, mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_UID, clientUser, openSubmissionForClient } from '../../../src/steps/client-user';

let dir = '';
afterEach(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
  dir = '';
});

async function mode(file: string): Promise<number> {
  return (await stat(file)).mode & 0o7777;
}

describe('the client user', () => {
  it('is neither root nor the grader, in the grader’s group', () => {
    const [uid, gid] = clientUser().split(':').map(Number);
    expect(uid).toBe(CLIENT_UID);
    expect(uid).not.toBe(0);
    expect(uid).not.toBe(process.getuid?.());
    expect(gid).toBe(process.getgid?.());
  });

  it('opens the submission’s folders for the step and puts their modes back after the last user', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'client-user-'));
    await mkdir(path.join(dir, 'shared/deep'), { recursive: true });
    await chmod(dir, 0o755);
    await chmod(path.join(dir, 'shared'), 0o700);
    await chmod(path.join(dir, 'shared/deep'), 0o775);
    const outside = await mkdtemp(path.join(os.tmpdir(), 'client-user-outside-'));
    await chmod(outside, 0o700);
    await symlink(outside, path.join(dir, 'link'));
    try {
      const first = await openSubmissionForClient(dir);
      const second = await openSubmissionForClient(dir);
      expect(await mode(dir)).toBe(0o775);
      expect(await mode(path.join(dir, 'shared'))).toBe(0o770);
      expect(await mode(path.join(dir, 'shared/deep'))).toBe(0o775);
      // A symbolic link is not followed: the folder it names is not the submission's.
      expect(await mode(outside)).toBe(0o700);
      await first();
      // Still in use by the second step.
      expect(await mode(path.join(dir, 'shared'))).toBe(0o770);
      await second();
      await second(); // twice is once
      expect(await mode(dir)).toBe(0o755);
      expect(await mode(path.join(dir, 'shared'))).toBe(0o700);
      expect(await mode(path.join(dir, 'shared/deep'))).toBe(0o775);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
