import type { RunContext } from '../run/context';
import { CHECK_KINDS, type CheckKind, type CheckKinds, type CheckSpec } from '../spec/types';
import type { CheckDefinition, Observation } from './check';
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

const CHECKS: { [K in CheckKind]: CheckDefinition<K> } = {
  exec: execCheck,
  http: httpCheck,
  logs: logsCheck,
  image: imageCheck,
  file: fileCheck,
  container: containerCheck,
  network: networkCheck,
  volume: volumeCheck,
  reach: reachCheck,
  dockerfile: dockerfileCheck,
  'build-cache': buildCacheCheck,
  answers: answersCheck,
  protected: protectedCheck,
};

/** A validated check has exactly one kind key (spec/semantics.ts enforces it). */
export function checkKind(check: CheckSpec): CheckKind {
  const kind = CHECK_KINDS.find((candidate) => check[candidate] !== undefined);
  if (kind === undefined) throw new Error(`check "${check.name}" has no kind`);
  return kind;
}

export function observe(check: CheckSpec, context: RunContext): Promise<Observation> {
  const kind = checkKind(check);
  // The definition and the target come from the same key, so their kinds agree.
  const definition = CHECKS[kind] as CheckDefinition<CheckKind>;
  return definition.observe(check[kind] as CheckKinds[CheckKind]['target'], context);
}
