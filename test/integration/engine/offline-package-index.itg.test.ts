// pip installs from "the package index" in the images students build on, as it would from PyPI
// on a runner: offline, the base-image script's index stand-in answers (README, offline
// stand-ins). From the default bridge (where the classic builder runs build steps) and from a
// user-defined network (compose projects, students' own networks).
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';

const network = `itg-pip-index-${Date.now().toString(36)}`;

function docker(args: string[]): string {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    timeout: 180_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** pyyaml is not preinstalled in the python:3.11-slim stand-in: only an index can provide it. */
const INSTALL_AND_IMPORT = [
  'pip install --no-cache-dir --quiet --target /tmp/site pyyaml',
  'cd / && PYTHONPATH=/tmp/site python3 -c "import yaml; print(yaml.safe_load(\'a: 1\'))"',
].join(' && ');

describe('pip install from the package index', () => {
  afterAll(() => {
    try {
      docker(['network', 'rm', network]);
    } catch {
      // not created
    }
  });

  it('works from the default bridge', () => {
    const output = docker(['run', '--rm', 'python:3.11-slim', 'sh', '-c', INSTALL_AND_IMPORT]);
    expect(output.trim().split('\n').at(-1)).toBe("{'a': 1}");
  });

  it('works from a user-defined network', () => {
    docker(['network', 'create', network]);
    const output = docker([
      'run',
      '--rm',
      '--network',
      network,
      'python:3.11-slim',
      'sh',
      '-c',
      INSTALL_AND_IMPORT,
    ]);
    expect(output.trim().split('\n').at(-1)).toBe("{'a': 1}");
  });

  it('finds the dependencies too: flask brings werkzeug, and its flask command', () => {
    const output = docker([
      'run',
      '--rm',
      'debian:bookworm-slim',
      'sh',
      '-c',
      'test -f /etc/pip.conf && echo has-pip-conf || echo no-pip-conf',
    ]);
    expect(output.trim()).toBe('has-pip-conf');
    const flask = docker([
      'run',
      '--rm',
      'python:3.11-slim',
      'sh',
      '-c',
      'pip install --no-cache-dir --quiet --target /tmp/site flask && ls /tmp/site/bin && ls -d /tmp/site/werkzeug',
    ]);
    expect(flask).toContain('flask\n');
    expect(flask).toContain('/tmp/site/werkzeug');
  });
});
