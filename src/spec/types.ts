// Types of a validated exercise spec, mirroring schema/exercise.schema.json. A check kind's
// target and expect types live in its own file (src/checks/kinds/), and CheckKinds is derived
// from the registry; test/unit/spec/types.test.ts keeps the kind lists and the schema in step.
import type { CheckDefinition } from '../checks/check';
// A value import of the registry, for CHECK_KINDS: the kinds import only types from here, so
// there is no cycle at run time.
import { CHECK_DEFINITIONS } from '../checks/registry';

type CheckDefinitions = typeof CHECK_DEFINITIONS;

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

export interface BuildStep {
  name: string;
  context?: string;
  dockerfile?: string;
  args?: StringMap;
  target?: string;
  tag?: string | string[];
  timeout?: Duration;
}

export type VolumeMount =
  | string
  | { source: string; target: string; type?: 'volume' | 'bind'; readOnly?: boolean };
export type NetworkAttachmentSpec = string | { name: string; aliases?: string[] };

export interface RunStep {
  name: string;
  image: string;
  command?: Command;
  entrypoint?: string[];
  env?: StringMap;
  ports?: number[];
  volumes?: VolumeMount[];
  networks?: NetworkAttachmentSpec[];
  restart?: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  user?: string;
  workdir?: string;
  hostname?: string;
  healthcheck?: {
    test: Command;
    interval?: Duration;
    timeout?: Duration;
    retries?: number;
    startPeriod?: Duration;
  };
  wait?: WaitConditions;
}

export interface ExecStep {
  container: string;
  command: Command;
  user?: string;
  workdir?: string;
  env?: StringMap;
  timeout?: Duration;
  allowFailure?: boolean;
}

export interface ContainerPath {
  container: string;
  path: string;
}

export interface CopyStep {
  /** A submission path, or a container path. */
  from: string | ContainerPath;
  to: ContainerPath;
}

export interface StopStep {
  container: string;
  timeout?: Duration;
}
export interface KillStep {
  container: string;
  signal?: string;
}
export interface RestartStep {
  container: string;
}
export interface RecreateStep {
  container: string;
  wait?: WaitConditions;
}
export interface NetworkStep {
  name: string;
  driver?: string;
  internal?: boolean;
}
export interface VolumeStep {
  name: string;
}
export interface WaitStep extends WaitConditions {
  container?: string;
  duration?: Duration;
}
/** Which engine a check looks at: the student's own (local), or the remote machine's. */
export type Machine = 'local' | 'remote';

export interface ScriptStep {
  file: string;
  args?: string[];
  timeout?: Duration;
  allowFailure?: boolean;
  /**
   * Gives the script a second machine to drive over SSH (`ssh://student@remote`): a Docker
   * daemon of its own, whose containers checks find with `machine: remote`.
   */
  remote?: boolean;
}
export interface ComposeStep {
  file?: string;
  action?: 'up' | 'down' | 'stop' | 'start' | 'restart';
  build?: boolean;
  wait?: { healthy?: boolean; running?: boolean; timeout?: Duration };
  timeout?: Duration;
}

export const STEP_KINDS = [
  'build',
  'run',
  'exec',
  'copy',
  'stop',
  'kill',
  'restart',
  'recreate',
  'network',
  'volume',
  'wait',
  'script',
  'compose',
] as const;

export interface StepKinds {
  build: BuildStep;
  run: RunStep;
  exec: ExecStep;
  copy: CopyStep;
  stop: StopStep;
  kill: KillStep;
  restart: RestartStep;
  recreate: RecreateStep;
  network: NetworkStep;
  volume: VolumeStep;
  wait: WaitStep;
  script: ScriptStep;
  compose: ComposeStep;
}
export type StepKind = (typeof STEP_KINDS)[number] & keyof StepKinds;
/** Exactly one key, naming the kind. */
export type StepSpec = { [K in StepKind]: { [P in K]: StepKinds[K] } }[StepKind];

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
