// Reads an exercise file: YAML with source positions, JSON Schema validation (ajv), then the
// semantic rules the schema cannot express. Every problem names file:line:col.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ErrorObject } from 'ajv';
import { type Document, isMap, isNode, isPair, isScalar, LineCounter, parseDocument } from 'yaml';
import exerciseSchema from '../../schema/exercise.schema.json';
import { type SourceLocation, SpecError, type SpecProblem } from '../shared/errors';
import { semanticProblems } from './semantics';
import type { ExerciseSpec } from './types';
// Compiled at build time (scripts/build-validator.mjs): no schema compilation at start.
import validateSchema from './validate-exercise.generated.js';

export type SpecPath = ReadonlyArray<string | number>;

export interface LoadedExercise {
  spec: ExerciseSpec;
  /** Path of the exercise file as given by the user (used in messages). */
  file: string;
  /** Folder holding the exercise file. */
  dir: string;
  /** Where a value (or, with `key`, the key naming it) stands in the file. */
  locate(specPath: SpecPath, key?: boolean): SourceLocation;
}

const MAX_SPEC_BYTES = 1024 * 1024;
const MAX_ALIASES = 100;

export function exerciseSchemaText(): string {
  return `${JSON.stringify(exerciseSchema, null, 2)}\n`;
}

export async function loadExercise(file: string): Promise<LoadedExercise> {
  let text: string;
  try {
    const buffer = await readFile(file);
    if (buffer.byteLength > MAX_SPEC_BYTES) {
      throw new SpecError([
        { file, line: 1, column: 1, message: `file is larger than ${MAX_SPEC_BYTES} bytes` },
      ]);
    }
    text = buffer.toString('utf8');
  } catch (error) {
    if (error instanceof SpecError) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new SpecError([{ file, line: 1, column: 1, message: `cannot read the exercise file (${reason})` }]);
  }
  return parseExercise(text, file);
}

export function parseExercise(text: string, file: string): LoadedExercise {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const syntax = doc.errors.map((error) => ({ ...at(error.pos[0]), message: yamlMessage(error.message) }));
  if (syntax.length > 0) throw new SpecError(syntax);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    throw new SpecError([{ ...at(0), message: `YAML could not be expanded: ${(error as Error).message}` }]);
  }

  const locate = (specPath: SpecPath, key = false): SourceLocation => at(offsetOf(doc, specPath, key));
  const exercise: LoadedExercise = {
    spec: data as ExerciseSpec,
    file,
    dir: path.dirname(path.resolve(file)),
    locate,
  };

  if (!validateSchema(data)) {
    throw new SpecError(schemaProblems(validateSchema.errors ?? [], locate));
  }
  const semantic = semanticProblems(exercise.spec).map(
    ({ specPath, key, message }): SpecProblem => ({ ...locate(specPath, key), message }),
  );
  if (semantic.length > 0) throw new SpecError(semantic);
  return exercise;
}

function yamlMessage(message: string): string {
  // The yaml library appends "at line L, column C" and a code frame; we give positions ourselves.
  return message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message;
}

/** The source offset of the node at specPath, or of the nearest ancestor that exists. */
function offsetOf(doc: Document, specPath: SpecPath, key: boolean): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const [index, segment] of specPath.entries()) {
    if (!isNode(node) || !('items' in node)) break;
    const items = (node as { items: unknown[] }).items;
    let next: unknown;
    if (isMap(node)) {
      const pair = items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === segment);
      if (!isPair(pair)) break;
      const isLast = index === specPath.length - 1;
      if (isLast && key) return rangeStart(pair.key) ?? offset ?? 0;
      next = pair.value ?? pair.key;
    } else {
      next = typeof segment === 'number' ? items[segment] : undefined;
    }
    if (next === undefined) break;
    node = next;
    offset = rangeStart(node) ?? offset;
  }
  return offset ?? 0;
}

function rangeStart(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}

function pointerToPath(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function schemaProblems(
  errors: ErrorObject[],
  locate: (specPath: SpecPath, key?: boolean) => SourceLocation,
): SpecProblem[] {
  const problems = new Map<string, SpecProblem>();
  for (const error of relevantErrors(errors)) {
    const specPath = pointerToPath(error.instancePath);
    const { location, message } = describe(error, specPath, locate);
    const problem = { ...location, message };
    problems.set(`${problem.line}:${problem.column}:${message}`, problem);
  }
  return [...problems.values()].sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * ajv reports every branch of a oneOf, and the `if` that selected a `then`. Keep what tells
 * the author what to change: drop `if` noise and the shallow per-branch mismatches, and keep
 * the oneOf's own summary only when nothing more precise was found inside it.
 */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  const oneOfs = errors.filter((error) => error.keyword === 'oneOf');
  const isBranchNoise = (error: ErrorObject): boolean =>
    oneOfs.some(
      (oneOf) =>
        error.instancePath === oneOf.instancePath && error.schemaPath.startsWith(`${oneOf.schemaPath}/`),
    );
  const precise = errors.filter(
    (error) => error.keyword !== 'if' && error.keyword !== 'oneOf' && !isBranchNoise(error),
  );
  const summaries = oneOfs.filter(
    (oneOf) =>
      !precise.some(
        (error) =>
          error.instancePath === oneOf.instancePath ||
          error.instancePath.startsWith(`${oneOf.instancePath}/`),
      ),
  );
  return [...precise, ...summaries];
}

function describe(
  error: ErrorObject,
  specPath: SpecPath,
  locate: (specPath: SpecPath, key?: boolean) => SourceLocation,
): { location: SourceLocation; message: string } {
  const where = specPath.length === 0 ? 'the exercise' : formatPath(specPath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const property = String(params.additionalProperty);
      const allowed = allowedKeys(error);
      return {
        location: locate([...specPath, property], true),
        message: `unknown key "${property}" in ${where}${allowed ? ` (allowed: ${allowed})` : ''}`,
      };
    }
    case 'required':
      return {
        location: locate(specPath),
        message: `${where} is missing "${String(params.missingProperty)}"`,
      };
    case 'maxProperties':
    case 'minProperties':
      if (/steps\/\d+$/.test(error.instancePath)) {
        return {
          location: locate(specPath),
          message: `${where} must have exactly one key naming its kind (build, run)`,
        };
      }
      return { location: locate(specPath), message: `${where} ${error.message ?? 'is invalid'}` };
    case 'oneOf':
      return { location: locate(specPath), message: `${where} ${oneOfMessage(error)}` };
    case 'const':
      return {
        location: locate(specPath),
        message: `${where} must be ${JSON.stringify(params.allowedValue)}`,
      };
    case 'enum':
      return {
        location: locate(specPath),
        message: `${where} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    default:
      return { location: locate(specPath), message: `${where} ${error.message ?? 'is invalid'}` };
  }
}

function oneOfMessage(error: ErrorObject): string {
  const definition = error.schemaPath.match(/#\/definitions\/(\w+)\/oneOf$/)?.[1];
  switch (definition) {
    case 'duration':
      return 'must be a duration: seconds as a number, or a string like 500ms, 30s, 5m, 1h';
    case 'command':
      return 'must be a command: a list of strings, or one string for /bin/sh -c';
    case 'matcher':
      return 'must be a value, or an object of comparators (equals, contains, matches, not)';
    default:
      return 'does not match any allowed form';
  }
}

function allowedKeys(error: ErrorObject): string | undefined {
  const schema = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
  return schema?.properties ? Object.keys(schema.properties).join(', ') : undefined;
}

export function formatPath(specPath: SpecPath): string {
  return specPath
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}
