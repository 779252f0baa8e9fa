// The host-key check of ssh:// engines (src/engine/transport/known-hosts.ts), on known_hosts text written
// here. Hashed names are made by ssh-keygen itself in the ssh integration test; here only the
// matching rules around them.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  entryNames,
  hostKeyAlgorithms,
  knownHostName,
  knownHostsFiles,
  parseKnownHosts,
  verifyHostKey,
} from '../../../src/engine/transport/known-hosts';

/** An SSH public key blob: the key type as a length-prefixed string, then key material. */
function blob(type: string, material: string): Buffer {
  const name = Buffer.from(type);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, Buffer.from(material)]);
}

const serverKey = blob('ssh-ed25519', 'the real server');
const otherKey = blob('ssh-ed25519', 'someone else');
const line = (hosts: string, key: Buffer, marker = ''): string =>
  `${marker}${hosts} ssh-ed25519 ${key.toString('base64')}`;

function verify(text: string, host: string, port: number, key = serverKey) {
  return verifyHostKey(parseKnownHosts(text, 'kh'), ['kh'], host, port, key);
}

describe('known_hosts', () => {
  it('names a host as ssh does: plain on port 22, [host]:port otherwise', () => {
    expect(knownHostName('Engine.Example', 22)).toBe('engine.example');
    expect(knownHostName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('accepts the listed key, for the listed port only', () => {
    expect(verify(line('[127.0.0.1]:2222', serverKey), '127.0.0.1', 2222)).toEqual({ accepted: true });
    // A plain entry is for port 22: another port of the same host is another server.
    expect(verify(line('127.0.0.1', serverKey), '127.0.0.1', 2222).accepted).toBe(false);
    expect(verify(line('127.0.0.1', serverKey), '127.0.0.1', 22).accepted).toBe(true);
  });

  it('refuses a key other than the listed one, naming the file and line', () => {
    const verdict = verify(`# a comment\n\n${line('engine.example', otherKey)}\n`, 'engine.example', 22);
    expect(verdict.accepted).toBe(false);
    expect(verdict.reason).toMatch(
      /^the host key of engine\.example \(ssh-ed25519 SHA256:\S+\) does not match the one listed for it in kh:3/,
    );
  });

  it('refuses an unknown host, saying how to add it', () => {
    const verdict = verify(line('other.example', serverKey), 'engine.example', 2222);
    expect(verdict.accepted).toBe(false);
    expect(verdict.reason).toContain('is not in kh');
    expect(verdict.reason).toContain('ssh-keyscan -p 2222 engine.example');
  });

  it('reads patterns: lists, wildcards, negations, any case', () => {
    const text = line('web.example,*.Engines.example,!bad.engines.example', serverKey);
    expect(verify(text, 'web.example', 22).accepted).toBe(true);
    expect(verify(text, 'a1.engines.example', 22).accepted).toBe(true);
    expect(verify(text, 'bad.engines.example', 22).accepted).toBe(false);
    expect(verify(text, 'engines.example', 22).accepted).toBe(false);
    expect(verify(line('host?', serverKey), 'host7', 22).accepted).toBe(true);
    expect(verify(line('host?', serverKey), 'host77', 22).accepted).toBe(false);
  });

  it('matches hashed names (HMAC-SHA1 of the name under the salt)', () => {
    const salt = Buffer.from('0123456789abcdefghij');
    const hashed = (name: string): string =>
      `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
    const [entry] = parseKnownHosts(line(hashed('[10.0.0.5]:2222'), serverKey), 'kh');
    expect(entry && entryNames(entry, '[10.0.0.5]:2222')).toBe(true);
    expect(entry && entryNames(entry, '10.0.0.5')).toBe(false);
  });

  it('refuses a revoked key even where another line lists it', () => {
    const text = `${line('engine.example', serverKey)}\n${line('*', serverKey, '@revoked ')}\n`;
    const verdict = verify(text, 'engine.example', 22);
    expect(verdict).toMatchObject({ accepted: false });
    expect(verdict.reason).toContain('@revoked in kh:2');
  });

  it('skips lines that are not entries, and certificate authorities', () => {
    const text = `garbage\n@cert-authority * ssh-ed25519 ${serverKey.toString('base64')}\nengine ssh-ed25519 not*base64\n`;
    expect(parseKnownHosts(text, 'kh')).toHaveLength(1);
    expect(verify(text, 'engine', 22).accepted).toBe(false);
  });

  it('offers only the host-key algorithms listed for the host, RSA with its SHA-2 signatures', () => {
    const entries = parseKnownHosts(
      `h ssh-rsa ${blob('ssh-rsa', 'r').toString('base64')}\nh ecdsa-sha2-nistp256 ${blob('ecdsa-sha2-nistp256', 'e').toString('base64')}`,
      'kh',
    );
    expect(hostKeyAlgorithms(entries)).toEqual([
      'ecdsa-sha2-nistp256',
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ]);
  });

  it('reads the file DOCKER_AUTOGRADER_KNOWN_HOSTS names, else the user and system files', () => {
    expect(knownHostsFiles({ DOCKER_AUTOGRADER_KNOWN_HOSTS: '/etc/grader/known_hosts' })).toEqual([
      '/etc/grader/known_hosts',
    ]);
    expect(knownHostsFiles({ HOME: '/home/u' })).toContain('/etc/ssh/ssh_known_hosts');
  });
});
