// What a student's compose file may not ask for. The grader's own containers get these
// defaults from the engine (SECURITY.md); a compose file talks to the engine through the
// compose CLI, so its requests are checked here, before anything runs. (Until the policy proxy
// of the sandboxing work exists, a student's *script* is not checked like this.)
import path from 'node:path';
import { KEPT_CAPABILITIES } from '../engine/engine';

const HOST_NAMESPACES = ['network_mode', 'pid', 'ipc', 'uts', 'userns_mode'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why the services may not run as written; empty when they may. */
export function composePolicyProblems(services: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, body] of Object.entries(services)) {
    if (!isRecord(body)) continue;
    const refuse = (what: string): void => {
      problems.push(`service "${name}" ${what}`);
    };
    if (body.privileged === true) refuse('asks to run privileged');
    for (const key of HOST_NAMESPACES) {
      if (body[key] === 'host') refuse(`asks for the host's namespace (${key}: host)`);
    }
    const capabilities = Array.isArray(body.cap_add) ? body.cap_add.map(String) : [];
    const extra = capabilities.filter(
      (cap) => !KEPT_CAPABILITIES.includes(cap.replace(/^CAP_/, '').toUpperCase()),
    );
    if (extra.length > 0) refuse(`adds capabilities the grader does not allow (${extra.join(', ')})`);
    if (Array.isArray(body.devices) && body.devices.length > 0) refuse('asks for host devices');
    const securityOptions = Array.isArray(body.security_opt) ? body.security_opt.map(String) : [];
    if (securityOptions.some((option) => /unconfined|no-new-privileges[:=]false/.test(option))) {
      refuse('turns off a security profile (security_opt)');
    }
    for (const volume of Array.isArray(body.volumes) ? body.volumes : []) {
      const source = bindSource(volume);
      if (source !== undefined && !isSubmissionPath(source)) {
        refuse(
          `mounts "${source}" from the host: only folders of the submission (like ./data) may be mounted`,
        );
      }
    }
  }
  return problems;
}

/** The host path of a bind mount in short ("./src:/dst:ro") or long syntax; undefined for a named volume. */
function bindSource(volume: unknown): string | undefined {
  if (typeof volume === 'string') {
    const source = volume.split(':')[0] ?? '';
    return /^[./~]/.test(source) || source.includes('/') ? source : undefined;
  }
  if (isRecord(volume) && volume.type === 'bind' && typeof volume.source === 'string') return volume.source;
  return undefined;
}

function isSubmissionPath(source: string): boolean {
  if (source.startsWith('~') || source.startsWith('$') || path.posix.isAbsolute(source)) return false;
  const normalised = path.posix.normalize(source);
  return normalised !== '..' && !normalised.startsWith('../');
}
