// Who the client container (student-docker.ts) runs as: a uid of its own, never root and never
// the grader's. A file that only a container's root could have made (uid 0 on a bind mount) is
// then never the script's own doing: volumes/ownership grades exactly that, and with the
// grader's uid (root on a self-hosted runner or here) a script writing the file on the host
// side passed. Its group is the grader's, so that:
// - the gate's socket folder, the grader's and 0710, is reachable by the client and by no other
//   user of the machine;
// - what the script writes in the submission (umask 002 in the client: group-writable) stays
//   the grader's to change and delete, as when the client ran as the grader;
// - the submission's folders, made group-writable for the step where they were not, can be
//   written by the script. Their modes are put back when the last step using them ends.
import { chmod, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * The client's uid: unprivileged, and one no system allocates to a person (Debian leaves
 * 60000-64999 to packages that ask for a uid); no file of the grader's or the engine's has it.
 */
export const CLIENT_UID = 62375;
/** What the client's processes create is group-writable (the group is the grader's). */
export const CLIENT_UMASK = '0002';
/** Past this many folders the rest keep their modes: a script can still write in those opened. */
const MAX_FOLDERS = 10_000;
const GROUP_RWX = 0o070;

/** `uid:gid` for the client container: our uid, the grader's group. */
export function clientUser(): string {
  const gid = process.getgid?.() ?? CLIENT_UID;
  return `${CLIENT_UID}:${gid}`;
}

interface Opened {
  users: number;
  /** Folders whose mode was changed, with the mode they had. */
  changed: Map<string, number>;
  ready: Promise<void>;
}

/** Submission folders opened for clients; several steps (or gradings) may share one at a time. */
const opened = new Map<string, Opened>();

/**
 * Makes the submission's folders writable by the client's group for as long as the returned
 * function has not been called (by every user of the same folder). Only folders the grader owns
 * and whose group is the grader's are changed; symbolic links are not followed.
 */
export async function openSubmissionForClient(submission: string): Promise<() => Promise<void>> {
  let entry = opened.get(submission);
  if (entry === undefined) {
    const changed = new Map<string, number>();
    entry = { users: 0, changed, ready: makeGroupWritable(submission, changed) };
    opened.set(submission, entry);
  }
  entry.users += 1;
  const own = entry;
  try {
    await own.ready;
  } catch (error) {
    await release(submission, own);
    throw error;
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await release(submission, own);
  };
}

async function release(submission: string, entry: Opened): Promise<void> {
  entry.users -= 1;
  if (entry.users > 0) return;
  opened.delete(submission);
  await entry.ready.catch(() => undefined);
  await restoreModes(entry.changed);
}

async function makeGroupWritable(root: string, changed: Map<string, number>): Promise<void> {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid === undefined || gid === undefined) return;
  const queue = [root];
  let seen = 0;
  while (queue.length > 0 && seen < MAX_FOLDERS) {
    const dir = queue.shift() as string;
    seen += 1;
    const info = await lstat(dir).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) continue;
    if (info.uid === uid && info.gid === gid && (info.mode & GROUP_RWX) !== GROUP_RWX) {
      const mode = info.mode & 0o7777;
      await chmod(dir, mode | GROUP_RWX);
      changed.set(dir, mode);
    }
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const child of entries) if (child.isDirectory()) queue.push(path.join(dir, child.name));
  }
}

async function restoreModes(changed: Map<string, number>): Promise<void> {
  // Deepest first: a folder's own mode never stands in the way of restoring the ones below it.
  const folders = [...changed.keys()].sort((a, b) => b.length - a.length);
  for (const dir of folders) {
    const mode = changed.get(dir) as number;
    // A folder the script removed (or replaced with something else) has nothing to restore.
    const info = await lstat(dir).catch(() => undefined);
    if (info?.isDirectory()) await chmod(dir, mode).catch(() => undefined);
  }
}
