// What an exercise needs that the engine under grading cannot give: checked before anything of
// the exercise runs, so that such an exercise ends as an engine fault (exit 3) with one line
// saying why, never with a grade that the engine, not the student, decided. Pure: the engine's
// identity comes from its /version answer (engine/engine-kind.ts). Measured on Podman 4.3.1
// (Debian bookworm's, `podman system service`): docs/engines.md, "Podman".
import type { EngineIdentity, EngineProduct } from '../engine/engine-kind';
import type { CheckSpec, ExerciseSpec, StepSpec } from '../spec/types';

interface EngineGap {
  product: EngineProduct;
  /** Whether the exercise needs what the engine lacks. */
  needs: (spec: ExerciseSpec) => boolean;
  /** Why it cannot be graded there, completing "<engine> cannot grade this exercise: ". */
  reason: string;
}

/** Every step of the exercise: its own, and those of its checks. */
function allSteps(spec: ExerciseSpec): StepSpec[] {
  return [...(spec.steps ?? []), ...spec.checks.flatMap((check: CheckSpec) => check.steps ?? [])];
}

const ENGINE_GAPS: readonly EngineGap[] = [
  {
    product: 'podman',
    needs: (spec) => spec.checks.some((check) => check['build-cache'] !== undefined),
    reason:
      "Podman builds with Buildah, whose log (STEP n/m, --> Using cache) is not the classic builder's that the build-cache check reads",
  },
  {
    product: 'podman',
    needs: (spec) => allSteps(spec).some((step) => 'build' in step && step.build.args !== undefined),
    reason:
      'Buildah fills FROM with a build argument that no ARG before FROM declares, where the classic builder does not, so a Dockerfile that fails on Docker builds there',
  },
  {
    product: 'podman',
    needs: (spec) => spec.checks.some((check) => check.container !== undefined),
    reason:
      'Podman 4 answers the process listing (GET /containers/{id}/top) that every container check reads with no JSON content type and its columns joined in one string',
  },
  {
    product: 'podman',
    needs: (spec) => allSteps(spec).some((step) => 'script' in step || 'compose' in step),
    reason:
      "the student's docker commands (script and compose steps) cannot build images there: Podman 4 refuses the engine gate's build limits (ulimits in Docker's form) with an empty 400",
  },
];

/** The one line an exercise stops with on this engine, or undefined when it can be graded there. */
export function engineShortfall(spec: ExerciseSpec, engine: EngineIdentity | undefined): string | undefined {
  if (engine === undefined) return undefined;
  const gap = ENGINE_GAPS.find((candidate) => candidate.product === engine.product && candidate.needs(spec));
  return gap === undefined
    ? undefined
    : `${engine.display} cannot grade this exercise: ${gap.reason} (docs/engines.md)`;
}
