// engine/rules: what the engine's work is held to (names, binds, builds), checked before or around a call.
//
// What a Dockerfile may make the engine fetch, read before the build (docs/decisions.md, "Builds
// held to the profile"). The classic builder runs ADD's URL downloads, the pulls of FROM and
// COPY --from, in the daemon's own network namespace: the runner's loopback and private network
// are within its reach, not the build container's. And a FROM can read any image on the engine,
// another run's too. Pure: the engine lookup of an image is injected.
//
// imageStanding judges the image alone, whatever name the FROM used, for the grader's builds (the
// whole run, no scope) and the gate's (one scope); it tells a missing image apart. It is not
// proxy/visibility.ts's imageVisibility, which answers what a student may see by the name they
// used, within one scope.
import { BlockList, isIP } from 'node:net';
import { type Copy, DockerfileParser, type From, type Instruction } from 'dockerfile-ast';
import { runReferences } from '../../naming/image-references';
import { RUN_LABEL, SCOPE_LABEL } from '../../naming/labels';

/** Whose an image is, to a build of the run. */
export type ImageStanding = 'own' | 'base' | 'foreign' | 'missing';

/** What the engine says of an image: its labels and its names. */
export interface ImageFacts {
  labels: Record<string, string>;
  repoTags: string[];
}

/**
 * An image's standing to a run (and a scope of it, for the proxy, which shows the student only
 * the scope's objects). Another run's image carries another run's label, or, unlabelled (the
 * grader's own builds are: naming/image-references.ts), has only names in another run's namespace. An image with
 * no name at all that is not the run's is an intermediate layer of someone's build.
 */
export function imageStanding(
  image: ImageFacts | undefined,
  owner: { runId: string; scope?: string },
): ImageStanding {
  if (image === undefined) return 'missing';
  const run = image.labels[RUN_LABEL];
  if (run !== undefined && run !== '') {
    const sameScope = owner.scope === undefined || image.labels[SCOPE_LABEL] === owner.scope;
    return run === owner.runId && sameScope ? 'own' : 'foreign';
  }
  const tags = image.repoTags.filter((tag) => tag !== '<none>:<none>');
  const ownTags = runReferences(
    owner.scope === undefined ? { runId: owner.runId } : { runId: owner.runId, scope: owner.scope },
  );
  if (tags.some((tag) => ownTags.matches(tag))) return 'own';
  if (tags.length === 0) return 'foreign';
  const anyRun = runReferences('allRuns');
  return tags.every((tag) => anyRun.matches(tag)) ? 'foreign' : 'base';
}

// ---------------------------------------------------------------------------------------------
// Registry hosts

const PRIVATE_NETWORKS = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  PRIVATE_NETWORKS.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE_NETWORKS.addSubnet(network, prefix, 'ipv6');

/** Names that mean this machine or its private network whatever DNS says. */
const LOCAL_NAMES =
  /^(localhost|localhost\.localdomain|ip6-localhost|ip6-loopback|host\.docker\.internal|gateway\.docker\.internal)$|\.(localhost|local|internal|localdomain|home\.arpa)$/;

/** Whether an address (v4, v6, v4-mapped v6) is loopback, private, link-local or otherwise not public. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE_NETWORKS.check(address, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return PRIVATE_NETWORKS.check(mapped[1], 'ipv4');
  return PRIVATE_NETWORKS.check(address, 'ipv6');
}

/**
 * The registry host an image reference names (docker's rule: a first component with a dot, a
 * colon or "localhost"), without its port; undefined for Docker Hub.
 */
export function registryHostOf(reference: string): string | undefined {
  const named = reference.split('@')[0] ?? '';
  const slash = named.indexOf('/');
  if (slash < 0) return undefined;
  const first = named.slice(0, slash);
  if (!first.includes('.') && !first.includes(':') && first !== 'localhost') return undefined;
  return hostWithoutPort(first);
}

function hostWithoutPort(authority: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(authority);
  if (bracketed) return (bracketed[1] ?? '').toLowerCase();
  const colon = authority.lastIndexOf(':');
  // Several colons without brackets: an IPv6 address as it is.
  if (colon >= 0 && authority.indexOf(':') === colon) return authority.slice(0, colon).toLowerCase();
  return authority.toLowerCase();
}

/** The host of a `docker login` server address: a URL or a bare host[:port][/path]. */
export function serverAddressHost(serverAddress: string): string | undefined {
  const bare = serverAddress.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const authority = bare.split('/')[0] ?? '';
  if (authority === '') return undefined;
  return hostWithoutPort(authority.replace(/^[^@]*@/, ''));
}

/**
 * Why the engine may not contact a registry host, or undefined when it may: loopback, private
 * and link-local addresses, names of this machine, single-label names (a local network's), and
 * numbers that are not a plain dotted quad (127.1, 0x7f000001, 2130706433: the resolver reads
 * them as addresses).
 */
export function registryHostRefusal(host: string | undefined): string | undefined {
  if (host === undefined || host === '' || host === 'docker.io' || host === 'index.docker.io')
    return undefined;
  const shown = JSON.stringify(host);
  const why = (reason: string): string =>
    `the registry ${shown} is ${reason}: the engine may only contact public registries (the runner's own network is off limits)`;
  if (isIP(host) !== 0)
    return isPrivateAddress(host) ? why('a loopback, private or link-local address') : undefined;
  if (/^[0-9a-fx.]+$/i.test(host) && /^[0-9.x]/i.test(host) && /\d/.test(host))
    return why('an address in a form other than a dotted quad');
  if (LOCAL_NAMES.test(host)) return why("a name of the runner's own machine or network");
  if (!host.includes('.')) return why('a name without a domain (a local network name)');
  return undefined;
}

/** registryHostRefusal of the host an image reference names. */
export function referenceRefusal(reference: string): string | undefined {
  return registryHostRefusal(registryHostOf(reference));
}

/** Resolves a registry host name and refuses it when any of its addresses is private. */
export async function resolvedHostRefusal(
  host: string | undefined,
  lookup: (host: string) => Promise<string[]>,
): Promise<string | undefined> {
  const direct = registryHostRefusal(host);
  if (direct !== undefined || host === undefined || isIP(host) !== 0) return direct;
  if (host === 'docker.io' || host === 'index.docker.io') return undefined;
  let addresses: string[];
  try {
    addresses = await lookup(host);
  } catch {
    // Not resolvable here: the engine, on this machine, cannot reach it either.
    return undefined;
  }
  const privateOne = addresses.find(isPrivateAddress);
  return privateOne === undefined
    ? undefined
    : `the registry ${JSON.stringify(host)} resolves to ${privateOne}, a loopback, private or link-local address: the engine may only contact public registries`;
}

// ---------------------------------------------------------------------------------------------
// Dockerfiles

export interface DockerfileImage {
  /** As the build will ask the engine for it, build arguments substituted. */
  reference: string;
  /** One-based. */
  line: number;
  instruction: string;
}

export interface DockerfileReading {
  /** Refusals, each starting with the Dockerfile line. */
  refusals: string[];
  /** The images the build reads (FROM and COPY --from that are not stages nor scratch). */
  images: DockerfileImage[];
}

const URL_SOURCE = /^[a-z][a-z0-9+.-]*:\/\//i;
const MAX_SHOWN = 120;

/**
 * Reads a Dockerfile as the classic builder will: build arguments and ARG defaults substituted
 * in FROM, ARG and ENV values in ADD sources. ADD from a URL is refused, as is an image reference
 * or ADD source that stays unresolved ($VAR the build does not define).
 */
export function readDockerfile(
  text: string,
  buildArgs: Record<string, string> = {},
  dockerfileName = 'Dockerfile',
): DockerfileReading {
  const dockerfile = DockerfileParser.parse(text);
  const refusals: string[] = [];
  const images: DockerfileImage[] = [];
  const stages: string[] = [];
  // ARGs before the first FROM are the only ones FROM sees; each stage has its own ARG and ENV.
  const globalArgs: Record<string, string> = {};
  let stageValues: Record<string, string> = {};
  let seenFrom = false;
  const at = (instruction: Instruction): { line: number; text: string } => {
    const line = instruction.getRange().start.line + 1;
    const raw = text.split(/\r?\n/)[line - 1] ?? '';
    return { line, text: raw.length > MAX_SHOWN ? `${raw.slice(0, MAX_SHOWN)}...` : raw.trim() };
  };
  const refuse = (instruction: Instruction, reason: string): void => {
    const { line, text: shown } = at(instruction);
    refusals.push(`${dockerfileName} line ${line} (${shown}): ${reason}`);
  };
  const readImage = (instruction: Instruction, raw: string, values: Record<string, string>): void => {
    const reference = expand(raw, values);
    if (reference === undefined) {
      refuse(
        instruction,
        `the image ${JSON.stringify(raw)} cannot be resolved before the build (a build argument without a value): give it a default with ARG`,
      );
      return;
    }
    if (reference.toLowerCase() === 'scratch' || stages.includes(reference.toLowerCase())) return;
    if (/^\d+$/.test(reference) && instruction.getKeyword() === 'COPY') return;
    images.push({ reference, line: at(instruction).line, instruction: instruction.getKeyword() });
  };

  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'ARG') {
      for (const [name, value] of declarations(instruction)) {
        const given =
          buildArgs[name] ??
          (value === undefined ? undefined : expand(value, seenFrom ? stageValues : globalArgs));
        const target = seenFrom ? stageValues : globalArgs;
        if (given !== undefined) target[name] = given;
        else if (seenFrom && globalArgs[name] !== undefined) target[name] = globalArgs[name];
      }
    } else if (keyword === 'ENV' && seenFrom) {
      for (const [name, value] of declarations(instruction)) {
        const expanded = value === undefined ? undefined : expand(value, stageValues);
        if (expanded !== undefined) stageValues[name] = expanded;
      }
    } else if (keyword === 'FROM') {
      seenFrom = true;
      stageValues = {};
      const from = instruction as From;
      const raw = from.getImage() ?? '';
      readImage(instruction, raw, globalArgs);
      const stage = from.getBuildStage();
      if (stage !== null) stages.push(stage.toLowerCase());
    } else if (keyword === 'COPY') {
      const fromFlag = (instruction as Copy).getFromFlag()?.getValue();
      if (fromFlag !== null && fromFlag !== undefined && fromFlag !== '')
        readImage(instruction, fromFlag, stageValues);
    } else if (keyword === 'ADD') {
      for (const source of addSources(instruction)) {
        const expanded = expand(source, stageValues);
        if (expanded === undefined) {
          refuse(
            instruction,
            `the ADD source ${JSON.stringify(source)} cannot be resolved before the build: name the file, or use COPY`,
          );
        } else if (URL_SOURCE.test(expanded)) {
          refuse(
            instruction,
            "ADD from a URL is not allowed (the engine would download it from the grader's machine): put the file in the submission and COPY it",
          );
        }
      }
    }
  }
  return { refusals, images };
}

/** NAME=value pairs of ARG and ENV (value undefined for `ARG NAME`; the old `ENV NAME value` form too). */
function declarations(instruction: Instruction): Array<[string, string | undefined]> {
  const content = (instruction.getArgumentsContent() ?? '').trim();
  if (instruction.getKeyword() === 'ENV' && !/^[^\s=]+=/.test(content)) {
    const [name = '', ...rest] = content.split(/\s+/);
    return [[name, unquote(rest.join(' '))]];
  }
  return instruction.getArguments().map((argument) => {
    const value = argument.getValue();
    const equals = value.indexOf('=');
    return equals < 0 ? [value, undefined] : [value.slice(0, equals), unquote(value.slice(equals + 1))];
  });
}

function unquote(value: string): string {
  const quoted = /^"(.*)"$|^'(.*)'$/.exec(value);
  return quoted ? (quoted[1] ?? quoted[2] ?? '') : value;
}

/** The sources of an ADD (all its arguments but the last and the --flags), JSON form or not. */
function addSources(instruction: Instruction): string[] {
  const content = (instruction.getArgumentsContent() ?? '').trim();
  let parts: string[];
  const flags: string[] = [];
  const rest = content.replace(/^(--\S+\s+)+/, (match) => {
    flags.push(match);
    return '';
  });
  if (rest.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(rest);
      parts = Array.isArray(parsed) ? parsed.map(String) : rest.split(/\s+/);
    } catch {
      parts = rest.split(/\s+/);
    }
  } else {
    parts = rest.split(/\s+/).filter((part) => part !== '');
  }
  return parts.slice(0, -1);
}

/**
 * $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word} substituted from `values`; undefined when a
 * variable has no value and no default (the reference could then be anything).
 */
export function expand(text: string, values: Record<string, string>): string | undefined {
  let unresolved = false;
  const result = text.replace(
    /\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (
      match,
      braced: string | undefined,
      operator: string | undefined,
      word: string | undefined,
      bare: string | undefined,
    ) => {
      if (match === '\\$') return '$';
      const name = braced ?? bare ?? '';
      const value = values[name];
      if (operator === '-') return value !== undefined && value !== '' ? value : (word ?? '');
      if (operator === '+') return value !== undefined && value !== '' ? (word ?? '') : '';
      if (value === undefined) unresolved = true;
      return value ?? '';
    },
  );
  if (unresolved || /\$\{/.test(result)) return undefined;
  return result;
}

/**
 * Every reason to refuse a build of this Dockerfile: its own refusals, then for each image it
 * reads, a private registry or an image that is not the run's nor a base image.
 */
export async function dockerfileRefusals(
  text: string,
  options: {
    buildArgs?: Record<string, string>;
    dockerfileName?: string;
    standing: (reference: string) => Promise<ImageStanding>;
  },
): Promise<string[]> {
  const reading = readDockerfile(text, options.buildArgs, options.dockerfileName);
  const refusals = [...reading.refusals];
  for (const image of reading.images) {
    const where = `${options.dockerfileName ?? 'Dockerfile'} line ${image.line} (${image.instruction} ${image.reference})`;
    const registry = referenceRefusal(image.reference);
    if (registry !== undefined) {
      refusals.push(`${where}: ${registry}`);
      continue;
    }
    if ((await options.standing(image.reference)) === 'foreign') {
      refusals.push(
        `${where}: the image is not one this grading built nor a base image (it belongs to another grading): build from a base image or from your own image`,
      );
    }
  }
  return refusals;
}
