import type { RunContext } from '../run/context';
import { CHECK_KINDS, type CheckKind, type CheckKinds, type CheckSpec } from '../spec/types';
import type { CheckDefinition, Observation } from './check';
import { execCheck } from './exec';
import { httpCheck } from './http';
import { imageCheck } from './image';

const CHECKS: { [K in CheckKind]: CheckDefinition<K> } = {
  exec: execCheck,
  http: httpCheck,
  image: imageCheck,
};

/** A validated check has exactly one kind key (spec/semantics.ts enforces it). */
export function checkKind(check: CheckSpec): CheckKind {
  const kind = CHECK_KINDS.find((candidate) => check[candidate] !== undefined);
  if (kind === undefined) throw new Error(`check "${check.name}" has no kind`);
  return kind;
}

export function observe(check: CheckSpec, context: RunContext): Promise<Observation> {
  const kind = checkKind(check);
  const definition = CHECKS[kind] as CheckDefinition<CheckKind>;
  return definition.observe(check[kind] as CheckKinds[CheckKind]['target'], context);
}
