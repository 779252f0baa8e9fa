// Which engine answers the Engine API: Docker Engine, or Podman's Docker-compatible service
// (`podman system service`), told apart by the engine's own /version answer, and what the
// grader's builds meet there. Pure: docker-engine.ts feeds it the answer (docs/engines.md).
import { isRecord } from '../shared/records';

export type EngineProduct = 'docker' | 'podman';

export interface EngineIdentity {
  product: EngineProduct;
  /** How messages name the engine: "Docker Engine 26.1.5", "Podman Engine 4.3.1". */
  display: string;
}

/**
 * From GET /version. Podman lists itself as the component "Podman Engine" (its compat API's
 * Version is Podman's own, e.g. 4.3.1, with ApiVersion 1.41); Docker's components are "Engine",
 * "containerd", "runc" and "docker-init". Anything that does not name Podman is taken for Docker,
 * whose API the grader is written against.
 */
export function identifyEngine(version: unknown): EngineIdentity {
  const record = isRecord(version) ? version : {};
  const components = Array.isArray(record.Components) ? record.Components.filter(isRecord) : [];
  const podman = components.find(
    (component) => typeof component.Name === 'string' && /^podman\b/i.test(component.Name),
  );
  if (podman !== undefined) {
    const release = typeof podman.Version === 'string' ? podman.Version : String(record.Version ?? '');
    return { product: 'podman', display: `Podman Engine ${release || '(unknown version)'}`.trim() };
  }
  const release = typeof record.Version === 'string' && record.Version !== '' ? record.Version : 'unknown';
  return { product: 'docker', display: `Docker engine ${release}` };
}

/**
 * An image reference as Docker shows it: Podman lists a pulled or built `busybox:latest` as
 * `docker.io/library/busybox:latest` and `owner/app:1` as `docker.io/owner/app:1`; Docker lists
 * both in this short form, which the grader's names (labels.ts, runReferences) are written in.
 */
export function familiarReference(reference: string): string {
  return reference.replace(/^docker\.io\/(?:library\/(?=[^/]+$))?/, '');
}

/**
 * A /build refused because the engine does not offer the classic builder (`version=1`) that the
 * grader's own builds ask for, and whose log (`Step N/M`, ` ---> Using cache`) the build-cache
 * check reads. Docker answers an unknown builder version with `invalid version "1"`; an engine
 * that drops the legacy builder is expected to say so in words like "builder version 1 is not
 * supported" or "the legacy builder has been removed". A Dockerfile's own errors (parse errors,
 * unknown instructions, a missing base image) never read like that.
 */
const CLASSIC_BUILDER_REFUSED =
  /invalid (?:builder )?version "?1"?|builder version "?1"? (?:is )?(?:not supported|unsupported|no longer supported|disabled|removed)|(?:classic|legacy) builder (?:is |has been )?(?:not supported|unsupported|no longer (?:supported|available)|disabled|removed|deprecated and removed)/i;

export function classicBuilderRefused(daemonMessage: string): boolean {
  return CLASSIC_BUILDER_REFUSED.test(daemonMessage);
}

/** The one line an exercise's grading stops with when the engine will not build the classic way. */
export function noClassicBuilderMessage(endpoint: string, daemonMessage: string): string {
  // docker-modem puts its own reading of the status before the daemon's words.
  const words = daemonMessage.replace(/^(?:unexpected|server error|bad parameter) - /, '');
  return `the Docker engine at ${endpoint} no longer offers the classic builder (POST /build, version 1) that the grader's builds use: ${words}`;
}
