// Integration tests need a real Docker engine and the built bundle. `npm test`
// (scripts/test.sh) provisions both; this only fails fast, with a clear message, when they are
// missing (e.g. when vitest is started by hand).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export default function setup(): void {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 });
  } catch {
    throw new Error(
      'no Docker engine answers: run `npm test` (it provisions one) or scripts/provision-engine.sh',
    );
  }
  // The engine under test (DOCKER_HOST) needs the offline stand-ins too: a second engine
  // provisioned before the first one's base images were built would fail most tests, each in
  // its own way.
  const engine = process.env.DOCKER_HOST || 'the default socket';
  for (const image of ['busybox:latest', 'docker-autograder/client:1']) {
    try {
      execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore', timeout: 20_000 });
    } catch {
      throw new Error(
        `${image} is missing on the engine at ${engine}: run scripts/build-base-images.sh (and scripts/provision-engine26.sh for the second engine)`,
      );
    }
  }
  for (const bundle of ['dist/index.js', 'dist/cli/index.js']) {
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\``);
  }
}
