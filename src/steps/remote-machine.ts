// The "other machine" of a script step with `remote: true` (the course's "Remote docker daemon"
// exercise): a container running sshd, with no network but its own loopback, which the script's
// client container shares (network mode container:<it>): the client reaches the machine and
// nothing else, not even the host's own ports (an internal network would give it those:
// Docker 20.10 routes an internal network to the host's bridge address). The client's ssh
// knows it as `remote` (~/.ssh/config). A login runs only `docker system dial-stdio` (what the
// docker CLI runs over ssh://), which reaches a gate of its own (engine-gate.ts) with the remote
// machine's scope (run/machines.ts): what the student makes through it is theirs on that
// machine only, as on a second daemon.
//
// The keys are made for the step and never touch the disk here: the host key and the
// authorised key travel to the sshd container in its environment, the client's key, the host's
// line for known_hosts and the ssh config to the client container in its own, and each
// container's start script writes them into its own file system (student-docker.ts, SSHD_SCRIPT
// below). The machine goes at the end of the step (its container and gate); what the student
// made on it stays for the checks, until the end of the exercise.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { utils as sshUtils } from 'ssh2';
import { imageTag } from '../naming/image-references';
import { CLIENT_LABEL, scopeLabels } from '../naming/labels';
import { remoteScope, resourceName } from '../naming/resource-names';
import type { RunContext } from '../run/context';
import { errorMessage, InfraError } from '../shared/errors';
import { type HelperImageRecipe, pinnedHelperImage } from './client-image';
import { DEFAULT_SANDBOX_POLICY, type EngineGate, openEngineGate } from './engine-gate';
import { waitUntilReady } from './readiness';

/** The offline stand-in's tag (scripts/build-base-images.sh); built on the spot where it is missing. */
export const REMOTE_IMAGE = 'docker-autograder/remote:1';
/** The remote machine's host name for the client's ssh, and the user the student logs in as. */
export const REMOTE_HOST = 'remote';
export const REMOTE_USER = 'student';
/** The remote user's uid in both images: unprivileged, next to the client's (client-user.ts). */
export const REMOTE_UID = 62376;
/** Where the remote machine's gate socket appears in its container; its DOCKER_HOST. */
const GATE_DIR_IN_REMOTE = '/run/docker-autograder';
const SSHD_READY = '30s';

/**
 * Built on the spot from the official docker:cli image (Alpine, with the CLI) where the engine
 * lacks the stand-in: OpenSSH's server, and the user with a shell and a home of its own.
 */
export const REMOTE_DOCKERFILE = [
  'FROM docker:27-cli',
  'RUN apk add --no-cache openssh-server \\',
  ` && adduser -D -u ${REMOTE_UID} -h /home/${REMOTE_USER} -s /bin/sh ${REMOTE_USER} \\`,
  ' && ln -sf /usr/local/bin/docker /usr/bin/docker',
  '',
].join('\n');

const REMOTE_RECIPE: HelperImageRecipe = {
  what: "the remote machine's image",
  dockerfile: REMOTE_DOCKERFILE,
  from: 'docker:27-cli',
  // In the run's own namespace: the run's cleanup untags it by that name (naming/image-references.ts).
  tag: (runId) => imageTag(runId, 'remote-machine'),
};

/**
 * What a login may run: the docker CLI's relay to the daemon, whatever arguments the client's
 * CLI version adds; anything else is told what this machine is for. So `ssh remote docker run`
 * (the remote machine's own client) is not a way around pointing the student's client at it.
 */
const SESSION_SCRIPT = `case "$SSH_ORIGINAL_COMMAND" in
  *dial-stdio*) exec docker system dial-stdio ;;
esac
echo "this machine serves its Docker daemon to docker clients only: point your own docker client at ssh://${REMOTE_USER}@${REMOTE_HOST} (docker -H, DOCKER_HOST or a docker context)" >&2
exit 1
`;

/** The sshd's configuration: the key below only, for the one user, and a log line when it listens. */
function sshdConfig(dir: string): string {
  return `Port 22
ListenAddress 0.0.0.0
HostKey ${dir}/ssh_host_ed25519_key
AuthorizedKeysFile ${dir}/authorized_keys
PidFile none
AllowUsers ${REMOTE_USER}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
PermitTTY no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
PermitTunnel no
PrintMotd no
ForceCommand /bin/sh ${dir}/session.sh
SetEnv DOCKER_HOST=unix://${GATE_DIR_IN_REMOTE}/docker.sock
LogLevel VERBOSE
`;
}

/**
 * The sshd container's command, run as the remote user: the keys from its environment into
 * files only that user reads, the environment emptied of them, then sshd in the foreground
 * (unprivileged: it logs in only the user it runs as, which is all this machine has).
 */
const SSHD_SCRIPT = `set -eu
umask 077
dir=/home/${REMOTE_USER}/.sshd
mkdir -p "$dir"
printf '%s\\n' "$REMOTE_HOST_KEY" >"$dir/ssh_host_ed25519_key"
printf '%s\\n' "$REMOTE_AUTHORIZED_KEY" >"$dir/authorized_keys"
cat >"$dir/session.sh" <<'SESSION'
${SESSION_SCRIPT}SESSION
cat >"$dir/sshd_config" <<'CONFIG'
${sshdConfig(`/home/${REMOTE_USER}/.sshd`)}CONFIG
unset REMOTE_HOST_KEY REMOTE_AUTHORIZED_KEY
exec "$(command -v sshd || echo /usr/sbin/sshd)" -D -e -f "$dir/sshd_config"
`;

export interface RemoteMachine {
  readonly gate: EngineGate;
  /** The client container's network mode: the machine's own network namespace. */
  networkMode: string;
  /** For the client container: what the student reads, and what its start script writes in ~/.ssh. */
  env: Record<string, string>;
  /** Removes the machine (container, gate, folders); what the student made on it stays. */
  close(): Promise<void>;
}

/**
 * The client container's start script writes these into ~/.ssh and unsets them (student-docker.ts):
 * the student finds their key, the machine's host key and its name where ssh looks, as after a
 * first login.
 */
export const CLIENT_KEY_VARIABLE = 'DOCKER_AUTOGRADER_SSH_KEY';
export const CLIENT_KNOWN_HOSTS_VARIABLE = 'DOCKER_AUTOGRADER_KNOWN_HOSTS';
export const CLIENT_SSH_CONFIG_VARIABLE = 'DOCKER_AUTOGRADER_SSH_CONFIG';

/**
 * `remote` is the machine on the shared loopback; its host key is listed under that name,
 * whatever address the name stands for.
 */
const CLIENT_SSH_CONFIG = `Host ${REMOTE_HOST}
  HostName 127.0.0.1
  HostKeyAlias ${REMOTE_HOST}
`;

/** The scope of the machine's own container: neither gate shows it to the student. */
export function linkScope(scope: string): string {
  return `${scope}.link`;
}

const exercisesWithTeardown = new WeakSet<RunContext['resources']>();

/** The folders of machines not closed yet (the gate's socket folder, the empty disk). */
const liveFolders = new Set<string>();

/**
 * Removes the folders of every machine at once (SIGINT/SIGTERM: the process exits before the
 * machines' own close; their containers go with the run's label cleanup).
 */
export function removeRemoteMachineFolders(): void {
  for (const folder of liveFolders) rmSync(folder, { recursive: true, force: true });
  liveFolders.clear();
}

/** Starts the remote machine for one script step; the caller closes it. */
export async function startRemoteMachine(
  context: RunContext,
  onGate: (gate: EngineGate) => void,
): Promise<RemoteMachine> {
  registerTeardown(context);
  const image = await pinnedHelperImage(context.engine, REMOTE_IMAGE, REMOTE_RECIPE);
  const hostKey = sshUtils.generateKeyPairSync('ed25519', { comment: `${REMOTE_HOST} host key` });
  const clientKey = sshUtils.generateKeyPairSync('ed25519', { comment: 'student@docker-autograder' });
  const link = linkScope(context.scope);
  const suffix = randomBytes(4).toString('hex');
  // 0710 like the script's own gate folder (student-docker.ts): the remote user is in the grader's group.
  const gateDir = await mkdtemp(path.join(os.tmpdir(), 'docker-autograder-remote-'));
  liveFolders.add(gateDir);
  // The machine's own disk for the gate's bind-mount rule: empty, so nothing of this machine's
  // (the submission included) can be mounted through the remote machine, as on another machine.
  const emptyDir = await mkdtemp(path.join(os.tmpdir(), 'docker-autograder-remote-disk-'));
  liveFolders.add(emptyDir);
  let gate: EngineGate | undefined;
  let id: string | undefined;
  const close = async (): Promise<void> => {
    try {
      if (id !== undefined) await context.engine.removeContainer(id);
    } finally {
      try {
        await gate?.close();
      } finally {
        for (const folder of [gateDir, emptyDir]) {
          await rm(folder, { recursive: true, force: true });
          liveFolders.delete(folder);
        }
      }
    }
  };
  try {
    await chmod(gateDir, 0o710);
    gate = await openEngineGate(context, {
      listenPath: path.join(gateDir, 'docker.sock'),
      submissionDir: emptyDir,
      policy: context.policy ?? DEFAULT_SANDBOX_POLICY,
      scope: remoteScope(context.scope),
    });
    onGate(gate);
    id = await context.engine.createContainer({
      name: resourceName(link, `sshd-${suffix}`),
      image,
      entrypoint: ['/bin/sh', '-c', SSHD_SCRIPT],
      cmd: [],
      env: { REMOTE_HOST_KEY: hostKey.private, REMOTE_AUTHORIZED_KEY: clientKey.public },
      user: `${REMOTE_UID}:${process.getgid?.() ?? REMOTE_UID}`,
      hostname: REMOTE_HOST,
      // Hidden from the student by both gates: the machine itself is not a container of theirs.
      labels: { ...scopeLabels(link), [CLIENT_LABEL]: 'true' },
      // Its loopback only, which the client container shares: a network of two, no route out.
      networkMode: 'none',
      mounts: [{ type: 'bind', source: gateDir, target: GATE_DIR_IN_REMOTE }],
    });
    await context.engine.startContainer(id);
    const failure = await waitUntilReady(
      'the remote machine',
      id,
      { log: 'Server listening on', timeout: SSHD_READY },
      context,
    );
    if (failure !== undefined) {
      throw new InfraError(
        `the remote machine's sshd did not start: ${failure.message}${failure.log ? `\n${failure.log}` : ''}`,
      );
    }
    const [type, key] = hostKey.public.split(' ');
    return {
      gate,
      networkMode: `container:${id}`,
      env: {
        REMOTE_HOST,
        REMOTE_USER,
        [CLIENT_KEY_VARIABLE]: clientKey.private,
        [CLIENT_KNOWN_HOSTS_VARIABLE]: `${REMOTE_HOST} ${type} ${key}`,
        [CLIENT_SSH_CONFIG_VARIABLE]: CLIENT_SSH_CONFIG,
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    if (error instanceof InfraError) throw error;
    throw new InfraError(`the remote machine could not be started: ${errorMessage(error)}`);
  }
}

/**
 * Once per exercise: at its end, what the student made on the remote machine goes (the
 * exercise's own cleanup removes its scope only), and any of the machine's own leftovers.
 */
function registerTeardown(context: RunContext): void {
  if (exercisesWithTeardown.has(context.resources)) return;
  exercisesWithTeardown.add(context.resources);
  context.resources.teardowns.push(async () => {
    await context.engine.removeResources({ scope: remoteScope(context.scope) });
    // The machine's own container, were its removal at the step's end to have failed.
    await context.engine.removeResources({ scope: linkScope(context.scope), only: 'runtime' });
  });
}
