// The query of a build through the gate: scoped tags, the run's labels, no host network, and
// the RUN steps held to the containers' profile. The build's Dockerfile and context are read
// by build-rules.ts (docs/security.md, boundary 2).
import { HARDENED_LIMITS } from '../engine/engine';
import { UNRESOLVED_NETWORK_MODES } from '../naming/engine-networks';
import { STUDENT_NAME_LABEL, withOwnLabelsSet } from '../naming/labels';
import { buildQueryRefusal } from './build-rules';
import { isRecord, type Json, ownNetwork, type PolicyContext, Refusal, stampLabels } from './policy';
import { hardenedUlimits, parseUlimits } from './policy-profile';

/** The CFS period of a build's CPU quota (the kernel's default). */
const BUILD_CPU_PERIOD = 100_000;

/** The engine's default CPU weight. */
const DEFAULT_CPU_SHARES = 1024;

/** Query of POST /build: scoped tags, the run's labels, no host network, the grader's memory cap. */
export async function policeBuildQuery(
  query: URLSearchParams,
  context: PolicyContext,
): Promise<URLSearchParams> {
  const result = new URLSearchParams(query);
  const refused = buildQueryRefusal(query);
  if (refused !== undefined) throw new Refusal(refused);
  const remote = query.get('remote');
  if (remote !== null && remote !== '') {
    throw new Refusal(
      'building from a URL or Git repository is not allowed: build from a folder of the submission',
    );
  }
  const networkMode = query.get('networkmode') ?? '';
  if (networkMode === 'host' || networkMode.startsWith('container:')) {
    throw new Refusal(`build network ${networkMode} is not allowed (--network)`);
  }
  // Named like a container's network: by the student's name, an id or a prefix, all resolved.
  if (networkMode !== '' && !UNRESOLVED_NETWORK_MODES.has(networkMode)) {
    const resolved = await ownNetwork(networkMode, context);
    result.set('networkmode', resolved.name);
  }
  if ((query.get('cgroupparent') ?? '') !== '')
    throw new Refusal('a cgroup parent is not allowed (--cgroup-parent)');
  result.delete('t');
  for (const tag of query.getAll('t')) {
    const real = context.names.realImage(tag);
    if (real === undefined) throw new Refusal(`invalid tag "${tag}"`, 400);
    result.append('t', real);
  }
  let labels: Json = {};
  try {
    const parsed: unknown = JSON.parse(query.get('labels') || '{}');
    if (isRecord(parsed)) labels = parsed;
  } catch {
    throw new Refusal('invalid labels of the build', 400);
  }
  const firstTag = query.getAll('t')[0];
  result.set(
    'labels',
    JSON.stringify(
      stampLabels(
        labels,
        context.runLabels,
        withOwnLabelsSet(firstTag !== undefined ? { [STUDENT_NAME_LABEL]: firstTag } : {}),
      ),
    ),
  );
  const memory = Number(query.get('memory') ?? '0');
  const capped = memory > 0 ? Math.min(memory, HARDENED_LIMITS.memory) : HARDENED_LIMITS.memory;
  result.set('memory', String(capped));
  result.set('memswap', String(capped));
  // The build's RUN containers get the profile of the student's own containers: one CPU by
  // period and quota (a build takes no NanoCpus), no more than the default CPU weight, /dev/shm
  // within the memory cap, and the grader's ulimits.
  result.set('cpuperiod', String(BUILD_CPU_PERIOD));
  result.set('cpuquota', String((BUILD_CPU_PERIOD * HARDENED_LIMITS.nanoCpus) / 1e9));
  const shares = Number(query.get('cpushares') ?? '0');
  if (!(shares >= 0 && shares <= DEFAULT_CPU_SHARES)) result.set('cpushares', String(DEFAULT_CPU_SHARES));
  const shm = Number(query.get('shmsize') ?? '0');
  if (!(shm >= 0 && shm <= HARDENED_LIMITS.memory)) result.set('shmsize', String(HARDENED_LIMITS.memory));
  result.set('ulimits', JSON.stringify(hardenedUlimits(parseUlimits(query.get('ulimits')))));
  // Intermediate containers of a failed step would stay behind, unlabelled: always removed.
  result.set('rm', '1');
  result.set('forcerm', '1');
  return result;
}
