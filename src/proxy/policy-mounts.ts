// What a student's container may mount: folders inside the submission (by their real path,
// checked again at every start), the run's own volumes, tmpfs; never the Docker socket, a host
// path or device through volume options. Volumes the daemon would make anonymous and
// unlabelled are made by the gate, labelled (docs/security.md, boundary 2).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { STUDENT_NAME_LABEL } from '../naming/labels';
import { isRecord, type Json, notFound, type PolicyContext, Refusal, stampLabels, strings } from './policy';

function checkHostPathInside(submissionDir: string, real: string): boolean {
  const relative = path.relative(submissionDir, real);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * The real path to mount: checked, and passed on resolved, so that a symlink swapped in after the
 * check cannot redirect the mount (only a race on a component inside the submission remains).
 */
async function checkBindSource(source: string, context: PolicyContext): Promise<string> {
  if (!path.isAbsolute(source)) {
    throw new Refusal(`bind mount of "${source}": the source must be an absolute path inside the submission`);
  }
  const { real, socket } = await context.lookups.hostPath(source);
  if (socket || /docker\.sock$/.test(real) || /docker\.sock$/.test(source)) {
    throw new Refusal(`bind mount of "${source}": the Docker socket may not be mounted into a container`);
  }
  if (!checkHostPathInside(context.submissionDir, real)) {
    throw new Refusal(
      `bind mount of "${source}" is not allowed: only folders inside the submission (${context.submissionDir}) may be mounted`,
    );
  }
  return real;
}

/**
 * At start and restart: every bind source of a created container, resolved again. The engine
 * mounts a source by its path when the container starts, so a folder of the submission that was
 * replaced by a symlink (to `/`, to the Docker socket) since create would be followed.
 */
export async function recheckBindSources(container: Json, context: PolicyContext): Promise<void> {
  const hostConfig = isRecord(container.HostConfig) ? container.HostConfig : {};
  const sources = new Set<string>();
  for (const bind of strings(hostConfig.Binds)) {
    const source = bind.split(':')[0] ?? '';
    if (source.startsWith('/')) sources.add(source);
  }
  const mounts = [
    ...(Array.isArray(hostConfig.Mounts) ? hostConfig.Mounts : []),
    ...(Array.isArray(container.Mounts) ? container.Mounts : []),
  ];
  for (const mount of mounts.filter(isRecord)) {
    if (mount.Type === 'bind' && typeof mount.Source === 'string') sources.add(mount.Source);
  }
  for (const source of sources) {
    try {
      await checkBindSource(source, context);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      throw new Refusal(
        `${error.message} (checked again at start: a folder of the submission was replaced by a symlink after the container was created)`,
        error.status,
      );
    }
  }
}

/** Resolves a volume by the student's name, creating it labelled if it does not exist yet. */
async function volumeForMount(name: string, context: PolicyContext): Promise<string> {
  const resolved = await context.lookups.volume(name);
  if (resolved.kind === 'own') return resolved.name;
  if (resolved.kind === 'missing') {
    const real = context.names.real(name);
    await context.lookups.createVolume(
      real,
      stampLabels({}, context.runLabels, { [STUDENT_NAME_LABEL]: name }),
    );
    return real;
  }
  throw notFound(`get ${name}: no such volume`, 'volume', name, resolved);
}

export async function checkBinds(hostConfig: Json, context: PolicyContext): Promise<void> {
  if (hostConfig.Binds === undefined || hostConfig.Binds === null) return;
  const binds: string[] = [];
  for (const bind of strings(hostConfig.Binds)) {
    const [source = '', ...rest] = bind.split(':');
    if (source.startsWith('/')) {
      binds.push([await checkBindSource(source, context), ...rest].join(':'));
    } else {
      binds.push([await volumeForMount(source, context), ...rest].join(':'));
    }
  }
  hostConfig.Binds = binds;
}

export async function checkMounts(hostConfig: Json, context: PolicyContext): Promise<void> {
  if (!Array.isArray(hostConfig.Mounts)) return;
  for (const mount of hostConfig.Mounts) {
    if (!isRecord(mount)) continue;
    const type = typeof mount.Type === 'string' ? mount.Type : 'volume';
    const source = typeof mount.Source === 'string' ? mount.Source : '';
    if (type === 'bind') {
      mount.Source = await checkBindSource(source, context);
    } else if (type === 'volume') {
      const options = isRecord(mount.VolumeOptions) ? mount.VolumeOptions : {};
      const driver = isRecord(options.DriverConfig) ? options.DriverConfig : {};
      const driverOptions = isRecord(driver.Options) ? driver.Options : {};
      checkVolumeDriver(typeof driver.Name === 'string' ? driver.Name : '', driverOptions);
      // Without a source the daemon makes an anonymous volume, unlabelled: a labelled one instead.
      mount.Source =
        source !== '' ? await volumeForMount(source, context) : await createAnonymousVolume(context);
    } else if (type !== 'tmpfs') {
      throw new Refusal(`mounts of type ${type} are not allowed`);
    }
  }
}

export function checkVolumeDriver(driver: string, options: Json): void {
  if (driver !== '' && driver !== 'local') {
    throw new Refusal(`volume driver ${driver} is not allowed: only the local driver`);
  }
  const mountOptions = typeof options.o === 'string' ? options.o : '';
  const device = typeof options.device === 'string' ? options.device : undefined;
  const type = typeof options.type === 'string' ? options.type : undefined;
  const tmpfs = type === 'tmpfs' && (device === undefined || device === 'tmpfs');
  if (
    /(^|,)r?bind($|,)/.test(mountOptions) ||
    (device !== undefined && !tmpfs) ||
    (type !== undefined && !tmpfs)
  ) {
    throw new Refusal(
      'volume options that mount a host path or device are not allowed (--opt type=none --opt o=bind --opt device=...): use a bind mount of a folder of the submission',
    );
  }
}

/**
 * The daemon would make an unlabelled volume for each VOLUME path (of the image or `-v /path`)
 * that nothing is mounted on: cleanup by label could not find it, and compose, which hands such
 * volumes on by name when it recreates a container, could not name it. So the proxy creates it,
 * labelled, and mounts it there.
 */
export async function labelAnonymousVolumes(
  body: Json,
  hostConfig: Json,
  imageVolumes: string[],
  context: PolicyContext,
): Promise<void> {
  const mounted = new Set<string>();
  for (const bind of strings(hostConfig.Binds)) mounted.add(path.posix.normalize(bind.split(':')[1] ?? ''));
  for (const mount of Array.isArray(hostConfig.Mounts) ? hostConfig.Mounts.filter(isRecord) : []) {
    if (typeof mount.Target === 'string') mounted.add(path.posix.normalize(mount.Target));
  }
  if (isRecord(hostConfig.Tmpfs))
    for (const target of Object.keys(hostConfig.Tmpfs)) mounted.add(path.posix.normalize(target));
  // --volumes-from brings its own volumes to their paths: the daemon then skips those paths.
  if (strings(hostConfig.VolumesFrom).length > 0) return;
  const wanted = [...(isRecord(body.Volumes) ? Object.keys(body.Volumes) : []), ...imageVolumes];
  const added: Json[] = [];
  for (const target of new Set(wanted.map((volume) => path.posix.normalize(volume)))) {
    if (mounted.has(target)) continue;
    added.push({ Type: 'volume', Source: await createAnonymousVolume(context), Target: target });
  }
  if (added.length > 0)
    hostConfig.Mounts = [...(Array.isArray(hostConfig.Mounts) ? hostConfig.Mounts : []), ...added];
}

/** A volume in place of one the daemon would create anonymous and unlabelled. */
async function createAnonymousVolume(context: PolicyContext): Promise<string> {
  const volumeName = context.names.real(`anon-${randomBytes(12).toString('hex')}`);
  await context.lookups.createVolume(volumeName, { ...context.runLabels });
  return volumeName;
}

/**
 * Whether the daemon would mount a host path at each start: a bind (-v /path, --mount
 * type=bind), or --volumes-from, which brings another container's binds along. Named volumes
 * are safe: a student cannot swap what a volume name points to.
 */
export function hasBindMount(hostConfig: Json): boolean {
  if (strings(hostConfig.Binds).some((bind) => bind.startsWith('/'))) return true;
  if (strings(hostConfig.VolumesFrom).length > 0) return true;
  const mounts = Array.isArray(hostConfig.Mounts) ? hostConfig.Mounts.filter(isRecord) : [];
  return mounts.some((mount) => mount.Type === 'bind');
}

/** Whether an inspected container mounts a host path (its own binds or inherited ones). */
export function containerHasBindMount(container: Json): boolean {
  const mounts = Array.isArray(container.Mounts) ? container.Mounts.filter(isRecord) : [];
  if (mounts.some((mount) => mount.Type === 'bind')) return true;
  return isRecord(container.HostConfig) && hasBindMount(container.HostConfig);
}
