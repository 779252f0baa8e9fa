// Types of a validated exercise spec, mirroring schema/exercise.schema.json (the source of
// truth: test/unit/spec-types.test.ts keeps the two in step).

export type Duration = number | string;
export type Scalar = string | number | boolean | null;
export type StringMap = Record<string, string | number | boolean>;
export type Command = string[] | string;

export interface Comparators {
  equals?: unknown;
  contains?: string | number | Array<string | number>;
  matches?: string;
  not?: Matcher;
}

/** A plain value means "equals"; an object combines comparators that must all hold. */
export type Matcher = Scalar | unknown[] | Comparators;

export interface BuildStep {
  name: string;
  context?: string;
  dockerfile?: string;
  args?: StringMap;
  target?: string;
  timeout?: Duration;
}

export interface WaitSpec {
  log?: string;
  http?: { port: number; path?: string; status?: number };
  timeout?: Duration;
}

export interface RunStep {
  name: string;
  image: string;
  command?: Command;
  entrypoint?: string[];
  env?: StringMap;
  ports?: number[];
  user?: string;
  workdir?: string;
  wait?: WaitSpec;
}

export interface StepKinds {
  build: BuildStep;
  run: RunStep;
}
export type StepKind = keyof StepKinds;
/** Exactly one key, naming the kind. */
export type StepSpec = { [K in StepKind]: { [P in K]: StepKinds[K] } }[StepKind];

export interface ExecCheck {
  container: string;
  command: Command;
  user?: string;
  workdir?: string;
  timeout?: Duration;
}
export interface ExecExpect {
  stdout?: Matcher;
  stderr?: Matcher;
  exitCode?: Matcher;
}

export interface HttpCheck {
  container: string;
  port: number;
  path?: string;
  method?: string;
  body?: string;
  timeout?: Duration;
}
export interface HttpExpect {
  status?: Matcher;
  body?: Matcher;
}

export interface ImageCheck {
  name: string;
}
export interface ImageExpect {
  user?: Matcher;
  workdir?: Matcher;
  cmd?: Matcher;
  entrypoint?: Matcher;
  exposedPorts?: Matcher;
  env?: Matcher;
}

export const STEP_KINDS = ['build', 'run'] as const;
export const CHECK_KINDS = ['exec', 'http', 'image'] as const;

export interface CheckKinds {
  exec: { target: ExecCheck; expect: ExecExpect };
  http: { target: HttpCheck; expect: HttpExpect };
  image: { target: ImageCheck; expect: ImageExpect };
}
export type CheckKind = (typeof CHECK_KINDS)[number] & keyof CheckKinds;

export interface CheckCommon {
  name: string;
  points?: number;
  hint?: string;
}
export type CheckSpec = CheckCommon & { expect: Record<string, Matcher> } & Partial<{
    [K in CheckKind]: CheckKinds[K]['target'];
  }>;

export interface ExerciseSpec {
  version: 1;
  id: string;
  title: string;
  description?: string;
  submission?: string;
  timeout?: Duration;
  steps?: StepSpec[];
  checks: CheckSpec[];
}
