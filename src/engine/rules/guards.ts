// engine/rules: what the engine's work is held to (names, binds, builds), checked before or around a call.
//
// Checks on what the grader asks of the engine, before it reaches a URL or a host config:
// names the daemon could have, ports, and bind mounts that never expose the host.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { DockerApiError } from '../../shared/errors';
import type { MountRequest } from '../engine';

/**
 * Host paths never bind-mounted, whatever the caller checked (docs/security.md, boundary 2: never the socket,
 * nothing outside the submission). The folder itself and everything below it are refused.
 */
const FORBIDDEN_BIND_ROOTS = ['/var/run', '/run', '/proc', '/sys', '/dev', '/var/lib/docker'];
/** Container, network and volume names as the daemon accepts them (ids are hex, so they match too). */
export const RESOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const IMAGE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/;

export function checkedPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid container port ${port}`);
  return port;
}

/** The URL of a container; a name the daemon could never have is answered like the daemon would. */
export function containerUrl(id: string, what: string): string {
  return `/containers/${checkedResource('container', id, what)}`;
}

export function checkedResource(kind: string, nameOrId: string, what = `${kind} ${nameOrId}`): string {
  if (!RESOURCE_NAME.test(nameOrId))
    throw new DockerApiError(`${what}: no such ${kind}: ${JSON.stringify(nameOrId)}`, 404);
  return nameOrId;
}

/** `wanted` names this id: the whole id, or a prefix long enough to be meant as one (docker ps shows 12). */
export function isIdOf(id: string, wanted: string): boolean {
  return /^[0-9a-f]{12,64}$/.test(wanted) && id.startsWith(wanted);
}

/** The host's network namespace is never given (docs/security.md, boundary 2). */
export function checkNetworkName(name: string): void {
  if (!RESOURCE_NAME.test(name)) throw new Error(`invalid network name ${JSON.stringify(name)}`);
  if (name === 'host') throw new Error('the host network is not allowed');
}

export function checkNetworkMode(mode: string): void {
  const container = /^container:(.+)$/.exec(mode)?.[1];
  if (container !== undefined) {
    if (!RESOURCE_NAME.test(container)) throw new Error(`invalid network mode ${JSON.stringify(mode)}`);
    return;
  }
  checkNetworkName(mode);
}

export async function mountSettings(
  mount: MountRequest,
  labels: Record<string, string>,
): Promise<Docker.MountSettings> {
  if (!path.posix.isAbsolute(mount.target)) {
    throw new Error(`mount target ${JSON.stringify(mount.target)} is not an absolute path`);
  }
  const readOnly = mount.readOnly === true;
  if (mount.type === 'bind') {
    await checkBindSource(mount.source);
    return { Type: 'bind', Source: mount.source, Target: mount.target, ReadOnly: readOnly };
  }
  if (mount.type === 'volume') {
    if (!RESOURCE_NAME.test(mount.source))
      throw new Error(`invalid volume name ${JSON.stringify(mount.source)}`);
    // Applied when the daemon creates the volume for this mount, so that cleanup finds it too.
    return {
      Type: 'volume',
      Source: mount.source,
      Target: mount.target,
      ReadOnly: readOnly,
      // The typings want NoCopy and DriverConfig too; the API does not (the driver stays the default).
      VolumeOptions: { Labels: labels } as Docker.MountSettings['VolumeOptions'],
    };
  }
  throw new Error(`unsupported mount type ${JSON.stringify((mount as { type: unknown }).type)}`);
}

/**
 * Defence in depth (the caller only binds folders of the submission): never the host's root,
 * the Docker socket, or the system folders, whether named directly or through a symlink.
 */
export async function checkBindSource(source: string): Promise<void> {
  const refuse = (why: string): Error =>
    new Error(
      `bind mount of ${JSON.stringify(source)} refused: ${why}; only folders of the submission can be mounted`,
    );
  if (!path.posix.isAbsolute(source)) throw refuse('it is not an absolute path');
  const candidates = [path.posix.resolve(source)];
  const real = await realpath(source).catch(() => undefined);
  if (real !== undefined) candidates.push(real);
  for (const candidate of candidates) {
    if (candidate === '/') throw refuse("it is the host's root folder");
    if (candidate.endsWith('docker.sock')) throw refuse('it is the Docker socket');
    const root = FORBIDDEN_BIND_ROOTS.find(
      (forbidden) => candidate === forbidden || candidate.startsWith(`${forbidden}/`),
    );
    if (root !== undefined) throw refuse(`${root} is a system folder of the host`);
  }
}

export function checkedSeconds(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600)
    throw new Error(`invalid stop timeout ${seconds}s`);
  return seconds;
}
