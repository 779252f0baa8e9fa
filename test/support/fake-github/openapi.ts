// GitHub's REST API description (from @octokit/openapi), used by the fake server to validate every
// request the action sends (body and query) and every response the fake itself returns, and to
// build responses from GitHub's own examples so they have the real shapes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  operation: JsonObject;
}

const SPEC_FILE = path.resolve(
  __dirname,
  '../../../node_modules/@octokit/openapi/generated/api.github.com.json',
);

/** A JSON object (not null, not an array). */
export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class OpenApi {
  private readonly spec: JsonObject;
  private readonly operations: Operation[] = [];
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    this.spec = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as JsonObject;
    const paths = this.spec.paths;
    if (!isObject(paths)) throw new Error('the OpenAPI description has no paths');
    for (const [template, item] of Object.entries(paths)) {
      if (!isObject(item)) continue;
      // Literal segments first, so /issues/comments/{id} is not taken for /issues/{number}/...
      const pattern = new RegExp(
        `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '([^/]+)')}$`,
      );
      for (const [method, operation] of Object.entries(item)) {
        if (isObject(operation) && typeof operation.operationId === 'string') {
          this.operations.push({ method: method.toUpperCase(), template, pattern, operation });
        }
      }
    }
    this.operations.sort((a, b) => placeholders(a.template) - placeholders(b.template));
    // strict: false because OpenAPI 3.0 adds keywords (example, discriminator, x-github...) that
    // are not JSON Schema; `nullable` is understood by ajv.
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
  }

  /** The operation a request is for, or undefined when GitHub has no such endpoint. */
  find(method: string, pathname: string): Operation | undefined {
    return this.operations.find(
      (candidate) => candidate.method === method && candidate.pattern.test(pathname),
    );
  }

  /** Problems with a request's JSON body, as readable strings (empty when it is valid). */
  requestBodyProblems(operation: Operation, body: Json | undefined): string[] {
    const content = this.resolve(operation.operation.requestBody);
    const schema = isObject(content) ? jsonSchemaOf(content.content) : undefined;
    if (schema === undefined) {
      return body === undefined ? [] : [`${operationName(operation)} takes no request body`];
    }
    if (body === undefined) {
      return isObject(content) && content.required === true
        ? [`${operationName(operation)} needs a body`]
        : [];
    }
    return this.problems(`${operationName(operation)} request`, schema, body);
  }

  /** Problems with query parameters: unknown names and values that break their schema. */
  queryProblems(operation: Operation, query: URLSearchParams): string[] {
    const parameters = this.resolve(operation.operation.parameters);
    const known = new Map<string, Json>();
    if (Array.isArray(parameters)) {
      for (const parameter of parameters) {
        if (isObject(parameter) && parameter.in === 'query' && typeof parameter.name === 'string') {
          known.set(parameter.name, parameter.schema ?? {});
        }
      }
    }
    const problems: string[] = [];
    for (const [name, raw] of query) {
      const schema = known.get(name);
      if (schema === undefined) {
        problems.push(`${operationName(operation)} has no query parameter "${name}"`);
        continue;
      }
      const type = isObject(schema) ? schema.type : undefined;
      const value: Json = type === 'integer' || type === 'number' ? Number(raw) : raw;
      problems.push(...this.problems(`${operationName(operation)} query "${name}"`, schema, value));
    }
    return problems;
  }

  /** Problems with a response the fake is about to send. */
  responseProblems(operation: Operation, status: number, body: Json): string[] {
    const responses = operation.operation.responses;
    const response = isObject(responses) ? this.resolve(responses[String(status)]) : undefined;
    if (!isObject(response)) return [`${operationName(operation)} documents no ${status} response`];
    const schema = jsonSchemaOf(response.content);
    return schema === undefined
      ? []
      : this.problems(`${operationName(operation)} ${status} response`, schema, body);
  }

  /** A deep copy of GitHub's first example of the operation's response. */
  example(operation: Operation, status: number): Json {
    const responses = operation.operation.responses;
    const response = isObject(responses) ? this.resolve(responses[String(status)]) : undefined;
    const content =
      isObject(response) && isObject(response.content) ? response.content['application/json'] : undefined;
    const examples = isObject(content) ? content.examples : undefined;
    const first = isObject(examples) ? Object.values(examples)[0] : undefined;
    const example = this.resolve(first);
    if (!isObject(example) || example.value === undefined) {
      throw new Error(`no example for ${operationName(operation)} ${status}`);
    }
    return structuredClone(example.value);
  }

  private problems(what: string, schema: Json, value: Json): string[] {
    const key = JSON.stringify(schema);
    let validate = this.validators.get(key);
    if (validate === undefined) {
      validate = this.ajv.compile(schema as object);
      this.validators.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (error) =>
        `${what}: ${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
    );
  }

  /**
   * Inlines every `$ref`. A reference back to a schema that is already being inlined (the
   * description has a few recursive types) becomes `{}`, so the result is a finite tree.
   */
  private resolve(node: Json | undefined, active: ReadonlySet<string> = new Set()): Json | undefined {
    if (Array.isArray(node)) return node.map((item) => this.resolve(item, active) ?? null);
    if (!isObject(node)) return node;
    const ref = node.$ref;
    if (typeof ref === 'string') {
      if (active.has(ref)) return {};
      return this.resolve(this.pointer(ref), new Set([...active, ref]));
    }
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [key, this.resolve(value, active) ?? null]),
    );
  }

  private pointer(ref: string): Json {
    let node: Json = this.spec;
    for (const segment of ref.replace(/^#\//, '').split('/')) {
      const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
      if (!isObject(node) || !(key in node)) throw new Error(`unresolvable $ref ${ref}`);
      node = node[key] ?? null;
    }
    return node;
  }
}

function jsonSchemaOf(content: Json | undefined): Json | undefined {
  if (!isObject(content)) return undefined;
  const json = content['application/json'];
  return isObject(json) ? json.schema : undefined;
}

function placeholders(template: string): number {
  return template.match(/\{/g)?.length ?? 0;
}

function operationName(operation: Operation): string {
  return `${operation.method} ${operation.template}`;
}

export type { Json, JsonObject, Operation };
