import type { RunContext } from '../run/context';
import { CHECK_KINDS, type CheckKind, type CheckKinds, type CheckSpec } from '../spec/types';
import { answersCheck } from './answers';
import { buildCacheCheck } from './build-cache';
import type { CheckDefinition, Observation } from './check';
import { containerCheck } from './container';
import { dockerfileCheck } from './dockerfile';
import { execCheck } from './exec';
import { fileCheck } from './file';
import { httpCheck } from './http';
import { imageCheck } from './image';
import { logsCheck } from './logs';
import { networkCheck } from './network';
import { protectedCheck } from './protected';
import { reachCheck } from './reach';
import { volumeCheck } from './volume';

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
