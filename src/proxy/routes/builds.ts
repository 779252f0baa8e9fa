// Builds with the classic builder (POST /build, version 1): what `docker build` and compose's
// classic build send. BuildKit (version 2, /session, /grpc) is not available under the grader.
import { declare, type RouteDeclaration } from './types';

export const BUILDKIT_REFUSED =
  'BuildKit builds are not available under the grader: use `docker build` with the classic builder (DOCKER_BUILDKIT=0)';

/**
 * What buildx falls back to when the gate refuses BuildKit on the engine (/grpc, /session): a
 * `docker-container` builder, found by this container name and made from the moby/buildkit image,
 * which would run privileged. Refused with the same message, so that the student reads "use
 * docker build" at once, and nothing is pulled (docs/engines.md, BuildKit).
 */
export function isBuildkitFallback(reference: string): boolean {
  return /^buildx_buildkit_/.test(reference) || /^(?:docker\.io\/)?moby\/buildkit(?::|@|$)/.test(reference);
}

export const BUILD_ROUTES: readonly RouteDeclaration[] = [
  declare('POST', '/build', () => ({ kind: 'build' }), {
    query: {
      t: 'list',
      extrahosts: 'list',
      remote: {
        refused:
          'building from a URL or Git repository is not allowed: build from a folder of the submission',
      },
      dockerfile: 'string',
      q: 'bool',
      nocache: 'bool',
      cachefrom: 'json',
      pull: 'string',
      rm: 'bool',
      forcerm: 'bool',
      memory: 'int',
      memswap: 'int',
      cpushares: 'int',
      cpusetcpus: 'string',
      cpusetmems: 'string',
      cpuperiod: 'int',
      cpuquota: 'int',
      buildargs: 'json',
      shmsize: 'int',
      squash: 'bool',
      labels: 'json',
      networkmode: 'string',
      platform: 'string',
      target: 'string',
      cgroupparent: 'string',
      ulimits: 'json',
      version: { oneOf: ['', '1'], otherwise: BUILDKIT_REFUSED },
      session: { refused: BUILDKIT_REFUSED },
      outputs: { refused: BUILDKIT_REFUSED },
    },
    body: 'tar',
  }),
];
