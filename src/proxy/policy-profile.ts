// The hardened profile of what a student runs (containers, execs, builds' RUN steps): limits
// never above the grader's own, capabilities within the exercise's, the default seccomp and
// AppArmor profiles, no real-time priority (docs/security.md, boundary 2).
import { HARDENED_LIMITS, KEPT_CAPABILITIES } from '../engine/engine';
import { canonicalBody } from './fields';
import { isRecord, type Json, Refusal, type SandboxPolicy } from './policy';

/** Namespaced sysctls that change nothing outside the container's own network namespace. */
export const SAFE_SYSCTLS = [
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_syncookies',
  'net.core.somaxconn',
];

/** Limits that would let a container take priority over the host (real-time, nice, locked memory). */
const REFUSED_ULIMITS = ['rtprio', 'rttime', 'nice', 'memlock'];

/** Security options that only make the profile stricter. */
const HARMLESS_SECURITY_OPTIONS =
  /^(no-new-privileges(?:[:=]true)?|apparmor[:=]docker-default|seccomp[:=]builtin)$/;

export const HOST_NAMESPACES: Array<[field: string, flag: string]> = [
  ['NetworkMode', '--network host'],
  ['PidMode', '--pid host'],
  ['IpcMode', '--ipc host'],
  ['UTSMode', '--uts host'],
  ['UsernsMode', '--userns host'],
  ['CgroupnsMode', '--cgroupns host'],
];

export function normalisedCapability(capability: string): string {
  return capability.toUpperCase().replace(/^CAP_/, '');
}

/** Capabilities a student's container may have: the grader's own set and what the exercise allows. */
export function allowedCapabilities(policy: SandboxPolicy): string[] {
  return [...new Set([...KEPT_CAPABILITIES, ...policy.extraCapabilities.map(normalisedCapability)])];
}

export function checkSecurityOptions(options: string[]): string[] {
  for (const option of options) {
    if (!HARMLESS_SECURITY_OPTIONS.test(option)) {
      const shown = option.length > 60 ? `${option.slice(0, 60)}...` : option;
      throw new Refusal(
        `security option "${shown}" is not allowed (--security-opt): containers keep the default seccomp and AppArmor profiles and no-new-privileges`,
      );
    }
  }
  return [
    ...new Set(['no-new-privileges', ...options.filter((option) => !option.startsWith('no-new-privileges'))]),
  ];
}

function cappedLimit(value: unknown, cap: number): number {
  return typeof value === 'number' && value > 0 ? Math.min(value, cap) : cap;
}

/** Resource limits (used by create and update): never above the grader's own. */
export function hardenResources(hostConfig: Json): void {
  for (const field of ['Devices', 'DeviceRequests', 'DeviceCgroupRules']) {
    const value = hostConfig[field];
    if (Array.isArray(value) && value.length > 0) {
      throw new Refusal('host devices are not allowed (--device, --gpus, --device-cgroup-rule)');
    }
  }
  if (typeof hostConfig.CgroupParent === 'string' && hostConfig.CgroupParent !== '') {
    throw new Refusal('a cgroup parent is not allowed (--cgroup-parent)');
  }
  hostConfig.PidsLimit = cappedLimit(hostConfig.PidsLimit, HARDENED_LIMITS.pids);
  hostConfig.Memory = cappedLimit(hostConfig.Memory, HARDENED_LIMITS.memory);
  hostConfig.MemorySwap = hostConfig.Memory;
  hostConfig.NanoCpus = cappedLimit(hostConfig.NanoCpus, HARDENED_LIMITS.nanoCpus);
  // CPU shares by period and quota would bypass NanoCpus (the daemon refuses both at once).
  delete hostConfig.CpuQuota;
  delete hostConfig.CpuPeriod;
  hostConfig.OomKillDisable = false;
}

/** The student's ulimits without those that raise priority, with the grader's in place of their own. */
export function hardenedUlimits(requested: unknown[]): Json[] {
  const ulimits = requested.filter(isRecord);
  const raised = ulimits
    .map((limit) => String(limit.Name))
    .filter((limitName) => REFUSED_ULIMITS.includes(limitName));
  if (raised.length > 0) throw new Refusal(`--ulimit ${raised.join(', ')} is not allowed`);
  const ours = HARDENED_LIMITS.ulimits.map((limit) => limit.Name as string);
  return [
    ...ulimits.filter((limit) => !ours.includes(String(limit.Name))),
    ...HARDENED_LIMITS.ulimits.map((limit) => ({ ...limit })),
  ];
}

export function parseUlimits(text: string | null): unknown[] {
  if (text === null || text === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Refusal('invalid ulimits of the build', 400);
  }
  // The Go client (compose) marshals no ulimits as `null`, which the engine reads as none.
  if (parsed === null) return [];
  if (!Array.isArray(parsed)) throw new Refusal('invalid ulimits of the build', 400);
  return parsed.map((limit) => canonicalBody(limit));
}
