// A second, private dockerd for tests that kill, hang or break a daemon, or run `cleanup --all`:
// its own unix socket, data-root, exec-root, pidfile and bridge, no iptables rules (so the shared
// engine's NAT is untouched), images copied from the shared engine by `docker save | docker load`.
// Started and stopped by the test; it never touches the shared dockerd. Its dockerd and containerd
// are those of the engine under test (ENGINE_BIN_PATH: DOCKER_ENGINE_PATH before PATH).
// Its containerd is started here, not by dockerd: a dockerd killed with SIGKILL leaves the
// containerd it manages running, and the next dockerd then times out waiting for a containerd
// of its own ("timeout waiting for containerd to start"). A containerd of the engine's own
// (own address, root and state, like a systemd-managed one) outlives dockerd's kills and
// restarts, and dockerd reconnects to it at once.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ENGINE_BIN_PATH, labelled as labelledOn } from './integration';
import { accepts } from './sockets';

const execFileAsync = promisify(execFile);

export interface PrivateEngine {
  readonly dir: string;
  readonly socketPath: string;
  /** DOCKER_HOST for it. */
  readonly host: string;
  readonly bridge: string;
  /** The docker CLI against this engine; resolves stdout. */
  docker(...args: string[]): Promise<string>;
  /** (Re)starts dockerd on the same folders, e.g. after kill(). */
  start(): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  /** Stops dockerd as an administrator would (SIGTERM: its containers stop) and starts it again. */
  restart(): Promise<void>;
  /** Deletes its bridge interface (the "missing bridge" fault). */
  removeBridge(): Promise<void>;
  /** Creates the bridge interface again. */
  addBridge(): Promise<void>;
  /** Ids of everything on it carrying the label filter (key or key=value). */
  labelled(filter: string): Promise<string[]>;
  /** Stops dockerd (continuing it first if stopped), and removes its folders and bridge. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
/** dockerd finds containerd, its shim, runc, docker-proxy and docker-init in PATH. */
const engineEnvironment: NodeJS.ProcessEnv = { ...process.env, PATH: ENGINE_BIN_PATH };
const STOP_TIMEOUT_MS = 20_000;

export interface PrivateEngineOptions {
  /** More dockerd arguments, e.g. a TLS-protected --host tcp://127.0.0.1:PORT. */
  extraArgs?: string[];
  /**
   * dockerd in a network namespace of its own (unshare --net), with a default bridge of its own
   * there: for daemon options that touch the host's network interfaces. Docker 25+ given
   * --default-address-pool removes the interface named docker0 as it starts, which on the host
   * is the shared engine's bridge. Reached by its unix socket only; its ports are not the host's.
   */
  ownNetworkNamespace?: boolean;
}

export async function startPrivateEngine(
  images: string[],
  options: PrivateEngineOptions = {},
): Promise<PrivateEngine> {
  // Short: a unix socket path has at most 107 bytes, and containerd's lives under the exec-root.
  const dir = mkdtempSync('/tmp/agpd-');
  const socketPath = path.join(dir, 'docker.sock');
  const suffix = path
    .basename(dir)
    .slice(-6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x');
  const bridge = `agpd${suffix}`.slice(0, 15);
  const subnet = await freeSubnet();
  let child: ChildProcess | undefined;
  let containerd: ChildProcess | undefined;
  const containerdSocket = path.join(dir, 'ctd.sock');

  const docker = async (...args: string[]): Promise<string> => {
    const { stdout } = await execFileAsync('docker', ['-H', `unix://${socketPath}`, ...args], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim();
  };
  const addBridge = async (): Promise<void> => {
    await execFileAsync('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await execFileAsync('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
    await execFileAsync('ip', ['link', 'set', bridge, 'up']);
  };
  const removeBridge = async (): Promise<void> => {
    await execFileAsync('ip', ['link', 'del', bridge]).catch(() => undefined);
  };
  const alive = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;

  const startContainerd = async (): Promise<void> => {
    if (containerd !== undefined && containerd.exitCode === null && containerd.signalCode === null) return;
    const config = path.join(dir, 'containerd.toml');
    // Only what dockerd needs; no CRI (the machine's own containerd config is not read).
    writeFileSync(
      config,
      [
        'version = 2',
        `root = "${path.join(dir, 'ctd-root')}"`,
        `state = "${path.join(dir, 'ctd-state')}"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        `  address = "${containerdSocket}"`,
        '[ttrpc]',
        `  address = "${containerdSocket}.ttrpc"`,
        '',
      ].join('\n'),
    );
    const log = openSync(path.join(dir, 'containerd.log'), 'a');
    containerd = spawn('containerd', ['--config', config], {
      stdio: ['ignore', log, log],
      env: engineEnvironment,
    });
    const giveUpAt = Date.now() + READY_TIMEOUT_MS;
    while (!(await accepts(containerdSocket))) {
      if (containerd.exitCode !== null || Date.now() > giveUpAt) {
        const tail = readFileSync(path.join(dir, 'containerd.log'), 'utf8').slice(-2000);
        throw new Error(`the private containerd did not start:\n${tail}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const start = async (): Promise<void> => {
    if (alive()) return;
    await startContainerd();
    const log = openSync(path.join(dir, 'dockerd.log'), 'a');
    rmSync(path.join(dir, 'docker.pid'), { force: true });
    const isolated = options.ownNetworkNamespace === true;
    child = spawn(
      isolated ? 'unshare' : 'dockerd',
      [
        ...(isolated ? ['--net', '--', 'dockerd'] : []),
        '--host',
        `unix://${socketPath}`,
        ...flagsForFiles(dir, { '--data-root': 'data', '--exec-root': 'exec', '--pidfile': 'docker.pid' }),
        ...(isolated ? [] : ['--bridge', bridge]),
        '--iptables=false',
        '--ip-masq=false',
        '--ip-forward=false',
        '--containerd',
        containerdSocket,
        ...(options.extraArgs ?? []),
      ],
      { stdio: ['ignore', log, log], env: engineEnvironment },
    );
    const giveUpAt = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      try {
        await docker('version', '--format', '{{.Server.APIVersion}}');
        return;
      } catch (error) {
        if (!alive() || Date.now() > giveUpAt) {
          const tail = readFileSync(path.join(dir, 'dockerd.log'), 'utf8').slice(-2000);
          throw new Error(`the private dockerd did not start: ${String(error)}\n${tail}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  };

  const kill = (signal: NodeJS.Signals): void => {
    if (child?.pid !== undefined && alive()) process.kill(child.pid, signal);
  };

  const waitForExit = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (!alive() || child === undefined) return resolve(true);
      const timer = setTimeout(() => resolve(false), ms);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });

  const restart = async (): Promise<void> => {
    kill('SIGTERM');
    if (!(await waitForExit(STOP_TIMEOUT_MS))) throw new Error('the private dockerd did not stop');
    await start();
  };

  const stop = async (): Promise<void> => {
    kill('SIGCONT');
    kill('SIGTERM');
    if (!(await waitForExit(STOP_TIMEOUT_MS))) {
      kill('SIGKILL');
      await waitForExit(STOP_TIMEOUT_MS);
    }
    containerd?.kill('SIGTERM');
    // containerd, and the shims it started, found by its folders in their command lines.
    for (const pid of processesMentioning(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const mount of mountsUnder(dir)) {
      await execFileAsync('umount', ['-l', mount]).catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
    await removeBridge();
  };

  const labelled = (filter: string): Promise<string[]> => labelledOn(filter, docker);

  if (options.ownNetworkNamespace !== true) await addBridge();
  try {
    await start();
    for (const image of images) {
      await execFileAsync('sh', [
        '-c',
        `docker save "$1" | docker -H "unix://$2" load >/dev/null`,
        'load',
        image,
        socketPath,
      ]);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    dir,
    socketPath,
    host: `unix://${socketPath}`,
    bridge,
    docker,
    start,
    kill,
    restart,
    removeBridge,
    addBridge,
    labelled,
    stop,
  };
}

/** Daemon options naming files in one folder: `--flag folder/file` for each flag and file. */
export function flagsForFiles(folder: string, files: Record<string, string>): string[] {
  return Object.entries(files).flatMap(([flag, file]) => [flag, path.join(folder, file)]);
}

/** A 10.213.x.0/24 that no interface of the machine uses. */
async function freeSubnet(): Promise<string> {
  const { stdout } = await execFileAsync('ip', ['-4', '-o', 'addr']);
  for (let third = 1 + Math.floor(Math.random() * 200); third < 255; third += 1) {
    const subnet = `10.213.${third}`;
    if (!stdout.includes(`${subnet}.`)) return subnet;
  }
  throw new Error('no free 10.213.x.0/24 subnet for the private dockerd');
}

function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids.filter((pid) => pid !== process.pid);
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((mount) => mount.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}
