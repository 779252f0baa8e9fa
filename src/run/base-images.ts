// Images by identity, not by name. A name is only a tag, and a student can give any image any
// name in their own scope (`docker build -t hello-world .` of a busybox that prints the
// greeting). So the base images an exercise names are pinned by their ids before any of its
// steps runs, and every check that names one of them compares with that id: a student's image
// tagged with a base image's name is not that image (docs/exercise-language.md, "Images").
import type { Engine } from '../engine/engine';
import { RUN_LABEL } from '../naming/labels';
import { InfraError } from '../shared/errors';
import type { CheckSpec, ExerciseSpec, Matcher, StepSpec } from '../spec/types';

/** `busybox`, `busybox:latest` and `docker.io/library/busybox:latest` are one name. */
export function normaliseImageName(name: string): string {
  const bare = name.trim().replace(/^(?:index\.)?docker\.io\/(?:library\/)?/, '');
  if (bare.includes('@') || /^(sha256:)?[0-9a-f]{12,64}$/.test(bare)) return bare;
  const slash = bare.lastIndexOf('/');
  return bare.lastIndexOf(':') > slash ? bare : `${bare}:latest`;
}

/** The ids the base images an exercise names had when it started: read-only for the run. */
export class BaseImages {
  private readonly ids: ReadonlyMap<string, string>;

  constructor(ids: Iterable<[string, string]> = []) {
    this.ids = new Map([...ids].map(([name, id]) => [normaliseImageName(name), id]));
  }

  /** The pinned id of a base image the exercise names; undefined for any other name. */
  idOf(name: string): string | undefined {
    return this.ids.get(normaliseImageName(name));
  }

  /** Whether `id` is the pinned identity of some base image (of which name, else undefined). */
  nameOf(id: string): string | undefined {
    for (const [name, pinned] of this.ids) if (pinned === id) return name;
    return undefined;
  }

  get size(): number {
    return this.ids.size;
  }
}

/**
 * The image names an exercise gives that are not its own build steps' names: run steps' images,
 * image checks' name and basedOn, file checks' image, and a container check's expected image
 * when it is a plain name. Those that exist on the engine when the exercise starts are pinned.
 */
export function namedBaseImages(spec: Pick<ExerciseSpec, 'steps' | 'checks'>): string[] {
  const steps = [...(spec.steps ?? []), ...spec.checks.flatMap((check) => check.steps ?? [])];
  const built = new Set(steps.flatMap((step) => ('build' in step ? [step.build.name] : [])));
  const names = [...steps.flatMap(stepImages), ...spec.checks.flatMap(checkImages)];
  return [...new Set(names.filter((name) => name !== '' && !built.has(name)))];
}

function stepImages(step: StepSpec): string[] {
  return 'run' in step ? [step.run.image] : [];
}

function checkImages(check: CheckSpec): string[] {
  return [
    check.image?.name,
    check.image?.basedOn,
    check.file?.image,
    check.container === undefined ? undefined : plainName(check.expect?.image as Matcher | undefined),
  ].filter((name): name is string => name !== undefined);
}

/** A matcher that is one plain image name (`image: nginx` or `{ equals: nginx }`). */
function plainName(matcher: Matcher | undefined): string | undefined {
  if (typeof matcher === 'string') return matcher;
  if (typeof matcher === 'object' && matcher !== null && !Array.isArray(matcher)) {
    const equals = (matcher as Record<string, unknown>).equals;
    if (typeof equals === 'string') return equals;
  }
  return undefined;
}

/**
 * The ids of the named images that exist now and are base images (not made by any grading:
 * those carry the run label or are the grader's run-owned references). Before any step runs, so
 * that nothing the student does can change what the names stand for.
 */
export async function pinBaseImages(engine: Engine, names: readonly string[]): Promise<BaseImages> {
  const pinned: Array<[string, string]> = [];
  for (const name of names) {
    // A name the engine refuses (an invalid reference) pins nothing; its step or check says so.
    const image = await engine.inspectImage(name).catch((error: unknown) => {
      if (error instanceof InfraError) throw error;
      return undefined;
    });
    if (image === undefined || image.labels[RUN_LABEL] !== undefined) continue;
    pinned.push([name, image.id]);
  }
  return new BaseImages(pinned);
}
