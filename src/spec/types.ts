// Types of a validated exercise spec, mirroring schema/exercise.schema.json. A check kind's
// target and expect types, and a step kind's body type, live in its own file (src/checks/kinds/,
// src/steps/kinds/); CheckKinds and StepKinds are derived from the registries;
// test/unit/spec/types.test.ts keeps the kind lists and the schema in step.
import type { CheckDefinition } from '../checks/check';
// Value imports of the registries, for CHECK_KINDS and STEP_KINDS: the kinds import only types
// from here, so there is no cycle at run time.
import { CHECK_DEFINITIONS } from '../checks/registry';
import { STEP_DEFINITIONS } from '../steps/registry';
import type { StepDefinition } from '../steps/step';

type CheckDefinitions = typeof CHECK_DEFINITIONS;
type StepDefinitions = typeof STEP_DEFINITIONS;

export type Duration = number | string;
export type Scalar = string | number | boolean | null;
export type StringMap = Record<string, string | number | boolean>;
export type Command = string[] | string;
/** A number, a size like "50MB", or a duration like "30s". */
export type SizeOrNumber = number | string;

export interface Comparators {
  equals?: unknown;
  contains?: string | number | Array<string | number>;
  includes?: unknown;
  matches?: string;
  inOrder?: string[];
  oneOf?: unknown[];
  min?: SizeOrNumber;
  max?: SizeOrNumber;
  json?: unknown;
  sha256?: string;
  not?: Matcher;
  ignoreCase?: boolean;
  ignoreWhitespace?: boolean;
  trim?: boolean;
}

/** A plain value means "equals"; an object combines comparators that must all hold. */
export type Matcher = Scalar | unknown[] | Comparators;
/** Keys (header names, labels, questions) each with a matcher. */
export type MatcherMap = Record<string, Matcher>;

/** A package manager whose installs a step matcher recognises. */
export type PackageManager = 'pip' | 'apt' | 'apk' | 'npm';

/** What one Dockerfile instruction does (`{ copies: requirements.txt }`); every key given must hold. */
export interface StepMatcher {
  /** A COPY/ADD brings in this path (or a folder or wildcard that holds it). */
  copies?: string;
  /** The COPY reads another stage: its name or number, or true for any stage. */
  copiesFrom?: string | number | boolean;
  /** A RUN installs packages with this package manager, however spelt. */
  installs?: PackageManager;
  /** With installs: pip, the install reads this requirements file (-r). */
  requirements?: string;
  /** A WORKDIR sets this directory. */
  workdir?: string;
  /** The instruction's normalised text matches this regular expression. */
  matches?: string;
}

/** Step matchers in order, in the last stage or in the stage named. */
export type StepSequence = StepMatcher[] | { stage: string | number; steps: StepMatcher[] };

export interface LogWait {
  matches: string;
  count?: number;
}

export interface WaitConditions {
  log?: string | LogWait;
  http?: { port: number; path?: string; status?: number };
  port?: number;
  healthy?: true;
  exited?: true;
  timeout?: Duration;
}

/** The keys of `wait:` that are conditions (`timeout` is the wait's own). */
export type WaitKey = Exclude<keyof WaitConditions, 'timeout'>;

export type VolumeMount =
  | string
  | { source: string; target: string; type?: 'volume' | 'bind'; readOnly?: boolean };
export type NetworkAttachmentSpec = string | { name: string; aliases?: string[] };

/** Which engine a check looks at: the student's own (local), or the remote machine's. */
export type Machine = 'local' | 'remote';

/** Each step kind's body, as its definition (src/steps/kinds/) declares it. */
export type StepKinds = {
  [D in StepDefinitions[number] as D['kind']]: D extends StepDefinition<string, infer Body> ? Body : never;
};
export type StepKind = keyof StepKinds;
/** The step kinds' keys, in the registry's order. */
export const STEP_KINDS: readonly StepKind[] = STEP_DEFINITIONS.map((definition) => definition.kind);
/** Exactly one key, naming the kind. */
export type StepSpec = { [K in StepKind]: { [P in K]: StepKinds[K] } }[StepKind];
/** The step bodies other rooms read (the rules, the exec check). */
export type { ExecStep } from '../steps/kinds/exec';
export type { RunStep } from '../steps/kinds/run';

/** Each check kind's target and expect, as its definition (src/checks/kinds/) declares them. */
export type CheckKinds = {
  [D in CheckDefinitions[number] as D['kind']]: D extends CheckDefinition<string, infer Target, infer Expect>
    ? { target: Target; expect: Expect }
    : never;
};
export type CheckKind = keyof CheckKinds;
/** The check kinds' keys, in the registry's order. */
export const CHECK_KINDS: readonly CheckKind[] = CHECK_DEFINITIONS.map((definition) => definition.kind);

export type CheckCommon = {
  name: string;
  points?: number;
  hint?: string;
  required?: boolean;
  partial?: boolean;
  visibility?: 'visible' | 'hidden';
  /** Steps run just before this check observes. */
  steps?: StepSpec[];
};
export type CheckSpec = CheckCommon & { expect?: Record<string, Matcher | MatcherMap> } & Partial<{
    [K in CheckKind]: CheckKinds[K]['target'];
  }>;

/** Docker's default capability set: the only ones an exercise's `policy:` may give students' containers. */
export const POLICY_CAPABILITIES = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
] as const;
export type PolicyCapability = (typeof POLICY_CAPABILITIES)[number];

/** What students' own docker commands (script and compose steps) may do beyond the hardened defaults. */
export interface ExercisePolicy {
  capabilities?: PolicyCapability[];
  /** Ports published on every host address, not only 127.0.0.1. */
  publicPorts?: boolean;
}

export interface ExerciseSpec {
  version: 1;
  id: string;
  title: string;
  description?: string;
  submission?: string;
  timeout?: Duration;
  policy?: ExercisePolicy;
  steps?: StepSpec[];
  checks: CheckSpec[];
}
