// List and event queries, narrowed to the run's own objects: the run's label filters are added to
// whatever the student asked for, and names in the student's filters are scoped.

import vm from 'node:vm';
import type { VirtualNames } from '../naming/virtual-names';
import type { Plan, PlanGate, PlanRequest } from './plan';
import { isRecord, Refusal } from './refusal';

export type Filters = Record<string, string[]>;

/** The `filters` query parameter in either of the engine's forms: {"k":["v"]} or {"k":{"v":true}}. */
export function parseFilters(text: string | null): Filters {
  if (text === null || text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  const filters: Filters = {};
  if (!isRecord(parsed)) return filters;
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value)) filters[key] = value.map(String);
    else if (isRecord(value)) filters[key] = Object.keys(value).filter((item) => value[item] === true);
  }
  return filters;
}

/** The map form, which every API version accepts. */
export function serialiseFilters(filters: Filters): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(filters).map(([key, values]) => [
        key,
        Object.fromEntries(values.map((value) => [value, true])),
      ]),
    ),
  );
}

/** A name filter (a regular expression on the engine's name): an anchored start moves past the prefix. */
function scopedNamePattern(pattern: string, names: VirtualNames): string {
  const anchored = /^\^(\/?)(.*)$/.exec(pattern);
  if (anchored) return `^${anchored[1]}${names.prefix}${anchored[2]}`;
  return pattern;
}

export interface FilterOptions {
  names: VirtualNames;
  /** ["key=value", ...] of the run's labels, added as label filters; none for images (base images have no labels). */
  runLabelFilters: string[];
  /** The engine's names of networks/volumes/images the student names in filters. */
  realNetwork?: (name: string) => string;
  realVolume?: (name: string) => string;
  realImage?: (reference: string) => string | undefined;
}

export function narrowFilters(text: string | null, options: FilterOptions): string {
  const filters = parseFilters(text);
  const { names } = options;
  if (filters.name) filters.name = filters.name.map((pattern) => scopedNamePattern(pattern, names));
  // Events of a container (docker events --filter container=web): its scoped name, or an id.
  if (filters.container) {
    filters.container = [
      ...new Set(
        filters.container.flatMap((value) => (names.isName(value) ? [value, names.real(value)] : [value])),
      ),
    ];
  }
  if (filters.network && options.realNetwork) filters.network = filters.network.map(options.realNetwork);
  if (filters.volume && options.realVolume) filters.volume = filters.volume.map(options.realVolume);
  const realImage = options.realImage;
  if (realImage) {
    for (const key of ['reference', 'ancestor']) {
      const values = filters[key];
      if (values) {
        filters[key] = [
          ...new Set(values.flatMap((value) => [value, realImage(value)].filter((v): v is string => !!v))),
        ];
      }
    }
  }
  if (options.runLabelFilters.length > 0) {
    filters.label = [...new Set([...(filters.label ?? []), ...options.runLabelFilters])];
  }
  return serialiseFilters(filters);
}

/**
 * The `name` filters of a list, to be matched by the proxy on the names the student sees (`web`,
 * `/web`) instead of by the engine on scoped ones: an unanchored pattern would match the scope's
 * prefix too (`name=a` found everything: run ids contain an "a"), and after `docker rename a b`
 * the name `a` must find nothing. Undefined when there is no name filter, or when a pattern is
 * not a JavaScript regular expression (RE2's `(?i)`): the engine then matches them, scoped, as
 * before.
 */
export function takeNameFilters(text: string | null): { rest: string; patterns: RegExp[] } | undefined {
  const filters = parseFilters(text);
  const names = filters.name;
  if (names === undefined || names.length === 0) return undefined;
  const patterns: RegExp[] = [];
  for (const name of names) {
    try {
      patterns.push(new RegExp(name));
    } catch {
      return undefined;
    }
  }
  delete filters.name;
  return { rest: serialiseFilters(filters), patterns };
}

/**
 * A student's pattern runs in the grader's own process, on names the student chose too, and
 * JavaScript's regular expressions can backtrack for hours (`^(a|a)*$` on 40 a's): each list is
 * matched in a VM with a deadline, so that one `docker ps --filter` cannot freeze the grader,
 * its watchdog and its signal cleanup. The engine's (Go) expressions run in linear time.
 */
const MATCH_DEADLINE_MS = 200;
const MATCH_ALL = new vm.Script('names.map((name) => patterns.some((pattern) => pattern.test(name)))');

function matchEach(names: string[], patterns: RegExp[]): boolean[] {
  try {
    return MATCH_ALL.runInContext(vm.createContext({ names, patterns }), {
      timeout: MATCH_DEADLINE_MS,
    }) as boolean[];
  } catch {
    throw new Refusal(
      `the name filter ${patterns.map((pattern) => JSON.stringify(pattern.source)).join(', ')} took too long to match: use a simpler pattern`,
      400,
    );
  }
}

/**
 * The containers of a list answer (names already unscoped) that one of the patterns names; like
 * the engine, a pattern is tried on each name with and without its leading slash.
 */
export function keepNamed(list: unknown[], patterns: RegExp[]): unknown[] {
  const namesOf = (summary: unknown): string[] =>
    isRecord(summary) && Array.isArray(summary.Names)
      ? summary.Names.filter((name): name is string => typeof name === 'string').flatMap((name) => [
          name,
          name.replace(/^\//, ''),
        ])
      : [];
  const perItem = list.map(namesOf);
  const matched = matchEach(perItem.flat(), patterns);
  let next = 0;
  return list.filter((_, index) => {
    const count = (perItem[index] as string[]).length;
    const hit = matched.slice(next, next + count).some(Boolean);
    next += count;
    return hit;
  });
}

/** The networks or volumes of a list answer (names already unscoped) that one of the patterns names. */
export function keepNamedObjects(list: unknown[], patterns: RegExp[]): unknown[] {
  const named = list.filter((item) => isRecord(item) && typeof item.Name === 'string');
  const matched = matchEach(
    named.map((item) => String((item as Record<string, unknown>).Name)),
    patterns,
  );
  return named.filter((_, index) => matched[index] === true);
}

/** What narrowFilters needs to scope the names a student gives in filters, with the run's label filters. */
export function filterOptionsFor(names: VirtualNames, runLabelFilters: string[]): FilterOptions {
  return {
    names,
    runLabelFilters,
    realNetwork: (name) => (names.isName(name) ? names.real(name) : name),
    realVolume: (name) => (names.isName(name) ? names.real(name) : name),
    realImage: (reference) => {
      const real = names.realImage(reference);
      return real !== undefined && !reference.includes(':') ? real.replace(/:latest$/, '') : real;
    },
  };
}

/**
 * A list's `filters`, narrowed to the run's objects, with its name filters taken out (the engine
 * would match them against the scoped names): the patterns the answer is then matched against.
 */
export function narrowListQuery(
  query: URLSearchParams,
  options: FilterOptions,
): { rest: string; patterns: RegExp[] } | undefined {
  const byName = takeNameFilters(query.get('filters'));
  const filters = byName === undefined ? query.get('filters') : byName.rest;
  query.set('filters', narrowFilters(filters, options));
  return byName;
}

/**
 * The plan of a network or volume list: its filters narrowed to the run's objects, and the answer
 * matched against the names the student's filters gave. The list is the answer itself, or the
 * answer's `listKey` (volumes come as `{ Volumes: [...] }`).
 */
export function objectListPlan(
  gate: PlanGate,
  request: PlanRequest,
  pathname: string,
  listKey?: string,
): Plan {
  const byName = narrowListQuery(request.query, filterOptionsFor(gate.names, gate.labelFilters));
  const keep = (list: unknown): unknown =>
    byName === undefined || !Array.isArray(list) ? list : keepNamedObjects(list, byName.patterns);
  return {
    url: request.withQuery(pathname),
    answer: 'json',
    transform: (answer) =>
      listKey === undefined || !isRecord(answer)
        ? keep(answer)
        : { ...answer, [listKey]: keep(answer[listKey]) },
  };
}
