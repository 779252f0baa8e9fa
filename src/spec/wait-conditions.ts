// The wait conditions' part of the exercise language: each condition's key, its JSON Schema
// (a property of `definitions.wait`) and its rules beyond the schema. How a condition is
// awaited at run time is its file's in src/steps/waits/ (to be folded together, one file per
// condition). The order is the order they are listed and checked in.
import { type JsonSchema, ref } from './json-schema';
import type { SpecPath } from './rules';
import type { WaitConditions, WaitKey } from './types';

/** The rules a condition may apply; paths are relative to its value (`wait.<key>`). */
export interface WaitConditionRules {
  regex(at: SpecPath, pattern: string): void;
  /** A port the container must publish (when the exercise knows which it does). */
  published(at: SpecPath, port: number): void;
}

export interface WaitConditionDescription<K extends WaitKey = WaitKey> {
  key: K;
  schema: JsonSchema;
  validate?(value: NonNullable<WaitConditions[K]>, rules: WaitConditionRules): void;
}

const log: WaitConditionDescription<'log'> = {
  key: 'log',
  schema: {
    description: 'A regular expression some output line must match, or {matches, count}.',
    oneOf: [
      { type: 'string', minLength: 1 },
      {
        type: 'object',
        required: ['matches'],
        additionalProperties: false,
        properties: { matches: { type: 'string', minLength: 1 }, count: { type: 'integer', minimum: 1 } },
      },
    ],
  },
  validate(value, rules) {
    if (typeof value === 'string') rules.regex([], value);
    else rules.regex(['matches'], value.matches);
  },
};

const http: WaitConditionDescription<'http'> = {
  key: 'http',
  schema: {
    type: 'object',
    required: ['port'],
    additionalProperties: false,
    properties: {
      port: ref('port'),
      path: { type: 'string', pattern: '^/' },
      status: { type: 'integer', minimum: 100, maximum: 599, description: 'Default: any status below 500.' },
    },
  },
  validate(value, rules) {
    rules.published(['port'], value.port);
  },
};

const port: WaitConditionDescription<'port'> = {
  key: 'port',
  schema: ref('port', 'A published port accepts TCP connections.'),
  validate(value, rules) {
    rules.published([], value);
  },
};

const healthy: WaitConditionDescription<'healthy'> = {
  key: 'healthy',
  schema: { const: true, description: "The container's healthcheck reports healthy." },
};

const exited: WaitConditionDescription<'exited'> = {
  key: 'exited',
  schema: { const: true, description: 'The container has exited (for run-to-completion containers).' },
};

/** Every condition, as the composing functions take them. */
export type AnyWaitCondition = { [K in WaitKey]: WaitConditionDescription<K> }[WaitKey];

/** Typed over every key of `wait:`, so that a condition left out fails to compile. */
const BY_KEY: { [K in WaitKey]: WaitConditionDescription<K> } = { log, http, port, healthy, exited };

export const WAIT_CONDITIONS: readonly AnyWaitCondition[] = Object.values(BY_KEY);
