// The check kinds, in the order the language lists them. Adding a kind is one line here and its
// own file in kinds/: the schema, the semantic rules, the schedule and observing all come from
// this list (composeChecks below; spec/exercise-schema.ts and spec/semantics.ts).
import type { RunContext } from '../run/context';
import type { CheckKind, CheckSpec } from '../spec/types';
import type { AnyCheckDefinition, Observation } from './check';
import { answersCheck } from './kinds/answers';
import { buildCacheCheck } from './kinds/build-cache';
import { containerCheck } from './kinds/container';
import { dockerfileCheck } from './kinds/dockerfile';
import { execCheck } from './kinds/exec';
import { fileCheck } from './kinds/file';
import { httpCheck } from './kinds/http';
import { imageCheck } from './kinds/image';
import { logsCheck } from './kinds/logs';
import { networkCheck } from './kinds/network';
import { protectedCheck } from './kinds/protected';
import { reachCheck } from './kinds/reach';
import { volumeCheck } from './kinds/volume';

export const CHECK_DEFINITIONS = [
  execCheck,
  httpCheck,
  logsCheck,
  imageCheck,
  fileCheck,
  containerCheck,
  networkCheck,
  volumeCheck,
  reachCheck,
  dockerfileCheck,
  buildCacheCheck,
  answersCheck,
  protectedCheck,
] as const;

/** A check as the composed functions see it: its common keys, and its kind's key among the rest. */
export type AnyCheckSpec = Pick<CheckSpec, 'name' | 'steps' | 'required'> & Record<string, unknown>;

/** What the runner needs of a list of check kinds. */
export interface ComposedChecks {
  /** The kinds' keys, in the list's order. */
  readonly kinds: readonly string[];
  /** The kind of a validated check, which has exactly one kind key (spec/semantics.ts enforces it). */
  kindOf(check: AnyCheckSpec): string;
  readsOnly(check: AnyCheckSpec): boolean;
  observe(check: AnyCheckSpec, context: RunContext): Promise<Observation>;
}

export function composeChecks(definitions: readonly AnyCheckDefinition[]): ComposedChecks {
  const byKind = new Map(definitions.map((definition) => [definition.kind, definition]));
  const definitionOf = (check: AnyCheckSpec): AnyCheckDefinition => {
    const definition = definitions.find((candidate) => check[candidate.kind] !== undefined);
    if (definition === undefined) throw new Error(`check "${check.name}" has no kind`);
    return definition;
  };
  return {
    kinds: [...byKind.keys()],
    kindOf: (check) => definitionOf(check).kind,
    readsOnly: (check) => definitionOf(check).readOnly,
    observe(check, context) {
      const definition = definitionOf(check);
      // The schema made the target an object of the definition's own shape.
      return definition.observe(check[definition.kind] as Record<string, unknown>, context);
    },
  };
}

export const CHECKS = composeChecks(CHECK_DEFINITIONS);

/** A validated check has exactly one kind key (spec/semantics.ts enforces it). */
export function checkKind(check: CheckSpec): CheckKind {
  return CHECKS.kindOf(check) as CheckKind;
}

export function observe(check: CheckSpec, context: RunContext): Promise<Observation> {
  return CHECKS.observe(check, context);
}
