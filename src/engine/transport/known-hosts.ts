// engine/transport: reaching the daemon (where, how, deadlines, response streams), under every operation.
//
// The host-key check of ssh:// engines: a server's key is trusted only when an OpenSSH
// known_hosts file lists it for that host (plain or hashed `|1|` names, `[host]:port` for other
// ports than 22, wildcards and negations, @revoked). Hand-written: the format is small and
// stable, and no small, well-kept npm library reads it; ssh2 leaves the check to its caller.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Names one known_hosts file to use instead of ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts. */
export const KNOWN_HOSTS_ENV = 'DOCKER_AUTOGRADER_KNOWN_HOSTS';

export interface KnownHostEntry {
  file: string;
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written: patterns, or one `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  key: Buffer;
}

export interface HostKeyVerdict {
  accepted: boolean;
  /** Why the key is refused, for the InfraError. */
  reason?: string;
}

/** The files searched, in order: the one DOCKER_AUTOGRADER_KNOWN_HOSTS names, else OpenSSH's two. */
export function knownHostsFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const chosen = env[KNOWN_HOSTS_ENV]?.trim();
  if (chosen) return [chosen];
  return [path.join(os.homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
}

/** Entries of the files that exist (a missing file lists nothing). */
export function readKnownHosts(files: string[]): KnownHostEntry[] {
  return files.flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return [];
    }
    return parseKnownHosts(text, file);
  });
}

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]?.startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
      fields.shift();
    }
    const [hosts, keyType, encoded] = fields;
    // A line that is not `hosts type base64key`: skipped, as ssh skips it.
    if (hosts === undefined || keyType === undefined || encoded === undefined) return;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return;
    entries.push({
      file,
      line: index + 1,
      ...(marker ? { marker } : {}),
      hosts,
      keyType,
      key: Buffer.from(encoded, 'base64'),
    });
  });
  return entries;
}

/** How known_hosts names a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/** Whether an entry's host field names `name` (OpenSSH's match_hostname, hashed names included). */
export function entryNames(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.startsWith('|1|')) {
    const [, , salt, hash] = entry.hosts.split('|');
    if (salt === undefined || hash === undefined) return false;
    const expected = Buffer.from(hash, 'base64');
    const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
  let matched = false;
  for (const pattern of entry.hosts.toLowerCase().split(',')) {
    const negated = pattern.startsWith('!');
    if (!wildcardMatch(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(name);
}

/** The key type written inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const length = key.readUInt32BE(0);
  return length > 0 && length <= 64 && key.length >= 4 + length
    ? key.subarray(4, 4 + length).toString('latin1')
    : 'unknown';
}

/** As ssh prints it: SHA256:base64 without padding. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The entries that name this host, certificate authorities left out (host certificates are not supported). */
export function entriesFor(entries: KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
  const name = knownHostName(host, port);
  return entries.filter((entry) => entry.marker !== 'cert-authority' && entryNames(entry, name));
}

/**
 * The server host-key algorithms to offer, in ssh2's order of preference, limited to the key
 * types known_hosts lists for the host: otherwise the server could present a key of another
 * type that is not listed, and a correct server would be refused (OpenSSH orders them the same way).
 */
export function hostKeyAlgorithms(entries: KnownHostEntry[]): string[] {
  const types = new Set(entries.filter((entry) => entry.marker === undefined).map((entry) => entry.keyType));
  const preference = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  return preference.filter((algorithm) =>
    types.has(algorithm.startsWith('rsa-sha2-') ? 'ssh-rsa' : algorithm),
  );
}

/** Accepts the key only when a (not revoked) entry for the host lists exactly this key. */
export function verifyHostKey(
  entries: KnownHostEntry[],
  files: string[],
  host: string,
  port: number,
  key: Buffer,
): HostKeyVerdict {
  const name = knownHostName(host, port);
  const shown = `${keyTypeOf(key)} ${fingerprint(key)}`;
  const forHost = entriesFor(entries, host, port);
  const revoked = entries.find((entry) => entry.marker === 'revoked' && entry.key.equals(key));
  if (revoked) {
    return {
      accepted: false,
      reason: `the host key of ${name} (${shown}) is marked @revoked in ${revoked.file}:${revoked.line}`,
    };
  }
  if (forHost.some((entry) => entry.marker === undefined && entry.key.equals(key))) return { accepted: true };
  const listed = forHost.find((entry) => entry.marker === undefined);
  if (listed) {
    return {
      accepted: false,
      reason: `the host key of ${name} (${shown}) does not match the one listed for it in ${listed.file}:${listed.line}: the connection may be intercepted, or the host key changed; it was refused`,
    };
  }
  const portOption = port === 22 ? '' : `-p ${port} `;
  return {
    accepted: false,
    reason: `the host key of ${name} (${shown}) is not in ${files.join(' or ')}: only known hosts are trusted. Check the fingerprint with the engine's administrator, then add it (ssh-keyscan ${portOption}${host} >> ~/.ssh/known_hosts), or name a known_hosts file with ${KNOWN_HOSTS_ENV}`,
  };
}
