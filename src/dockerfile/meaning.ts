// What a Dockerfile's instructions do, rather than how they are spelt: which build-context
// files a COPY/ADD brings in, which stage a COPY --from reads, what a RUN installs, which
// directory a WORKDIR sets. The `dockerfile` check's `sequence` and the `build-cache` check's
// `fromCache`/`ranAgain` judge these with step matchers such as `{ copies: requirements.txt }`,
// so that `COPY ./requirements.txt /code/requirements.txt`, `RUN python3 -m pip install -r
// requirements.txt` and `COPY --chown=nobody:nogroup --from=0 ...` count for what they do.
//
// Pure: text in, facts out.
import path from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import type { PackageManager, StepMatcher } from '../spec/types';

/** One instruction with its meaning worked out. */
export interface InstructionMeaning {
  keyword: string;
  /** Normalised like the dockerfile check's `instructions`. */
  text: string;
  /** One-based, for messages. */
  line: number;
  column: number;
  stage: number;
  /** The working directory this instruction runs in (for WORKDIR: the one it sets). */
  workdir: string;
  /** COPY/ADD: its sources, normalised (context paths relative, other stages' paths absolute). */
  copy?: { sources: string[]; from?: CopySource };
  /** RUN: what it installs, with which package manager. */
  installs: Install[];
}

export type CopySource = { stage: number } | { image: string };

export interface Install {
  manager: PackageManager;
  /** pip's -r/--requirement files, resolved against the RUN's working directory. */
  requirements: string[];
}

export interface Stage {
  index: number;
  /** Lower case, as Docker compares stage names; undefined without `AS`. */
  name?: string;
  instructions: InstructionMeaning[];
}

export interface DockerfileMeaning {
  stages: Stage[];
  /** Every instruction from the first FROM on, in file order (what the builder runs as steps). */
  instructions: InstructionMeaning[];
}

export function dockerfileMeaning(text: string): DockerfileMeaning {
  const dockerfile = DockerfileParser.parse(text);
  const escapeChar = dockerfile.getEscapeCharacter();
  const stages: Stage[] = [];
  const all: InstructionMeaning[] = [];
  let current: Stage | undefined;
  let workdir = '/';
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const args = values(instruction);
      const asIndex = args.findIndex((arg) => arg.toLowerCase() === 'as');
      const name = asIndex >= 0 ? args[asIndex + 1]?.toLowerCase() : undefined;
      const base = stages.find((stage) => stage.name !== undefined && stage.name === args[0]?.toLowerCase());
      // A stage built FROM an earlier one starts in that stage's working directory.
      workdir = base === undefined ? '/' : (base.instructions.at(-1)?.workdir ?? '/');
      current = { index: stages.length, ...(name === undefined ? {} : { name }), instructions: [] };
      stages.push(current);
    }
    if (current === undefined) continue; // ARGs before the first FROM are not build steps
    if (keyword === 'WORKDIR') {
      const target = values(instruction).join(' ');
      if (target !== '') workdir = normaliseAbsolute(path.posix.resolve(workdir, target));
    }
    const start = instruction.getRange().start;
    const meaning: InstructionMeaning = {
      keyword,
      text: instructionText(instruction, escapeChar),
      line: start.line + 1,
      column: start.character + 1,
      stage: current.index,
      workdir,
      installs: keyword === 'RUN' ? installsOf(runScript(instruction, escapeChar), workdir) : [],
    };
    if (keyword === 'COPY' || keyword === 'ADD') {
      const copy = copyOf(instruction, keyword, stages);
      if (copy !== undefined) meaning.copy = copy;
    }
    current.instructions.push(meaning);
    all.push(meaning);
  }
  return { stages, instructions: all };
}

function values(instruction: Instruction): string[] {
  return instruction.getExpandedArguments().map((argument) => argument.getValue());
}

/**
 * "KEYWORD args" with whitespace runs collapsed and the keyword upper-cased, so that
 * `run  apt-get update \` + `    && ...` and the classic builder's "Step 2/5 : run apt-get
 * update    && ..." both read "RUN apt-get update && ...".
 */
export function normaliseInstruction(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  const space = collapsed.indexOf(' ');
  return space < 0
    ? collapsed.toUpperCase()
    : `${collapsed.slice(0, space).toUpperCase()}${collapsed.slice(space)}`;
}

export function instructionText(instruction: Instruction, escapeChar: string): string {
  return normaliseInstruction(joinContinuations(instruction.getTextContent(), escapeChar));
}

/**
 * Joins continuation lines as Docker's parser does: the escape character at a line's end is
 * removed and the next line appended as it is; comment lines and empty lines inside the
 * continuation are skipped.
 */
function joinContinuations(raw: string, escapeChar: string): string {
  const continuation = new RegExp(`${escapeRegExp(escapeChar)}[ \\t]*$`);
  return raw
    .split(/\r?\n/)
    .filter((line, index) => index === 0 || (line.trim() !== '' && !line.trimStart().startsWith('#')))
    .map((line) => line.replace(continuation, ''))
    .join('');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// COPY and ADD

function copyOf(instruction: Instruction, keyword: string, stages: Stage[]): InstructionMeaning['copy'] {
  const raw = instruction.getRawArgumentsContent() ?? '';
  const flags = flagsOf(instruction);
  const args = jsonArguments(argumentsAfterFlags(raw)) ?? values(instruction);
  // A heredoc (COPY <<EOF /x) copies inline text, not files.
  if (args.some((arg) => arg.startsWith('<<'))) return undefined;
  const sources = args.slice(0, -1);
  if (sources.length === 0) return undefined;
  const fromValue = flags.get('from');
  if (fromValue === undefined) {
    // ADD also fetches URLs; those are not files of the build context.
    const local =
      keyword === 'ADD' ? sources.filter((source) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) : sources;
    return { sources: local.map(normaliseContextPath) };
  }
  return { sources: sources.map(normaliseAbsolute), from: resolveFrom(fromValue, stages) };
}

/**
 * `--from=0`, `--from=builder`: an earlier stage; anything else is an image. The stage being
 * built is the last of `stages` and is not an earlier one: Docker refuses a stage copying from
 * itself, so `--from` naming it is no stage to copy from.
 */
function resolveFrom(value: string, stages: Stage[]): CopySource {
  const earlier = stages.slice(0, -1);
  if (/^\d+$/.test(value)) {
    const index = Number(value);
    if (index < earlier.length) return { stage: index };
  }
  const named = earlier.find((stage) => stage.name === value.toLowerCase());
  return named === undefined ? { image: value } : { stage: named.index };
}

function flagsOf(instruction: Instruction): Map<string, string> {
  const flags = new Map<string, string>();
  const withFlags = instruction as Instruction & {
    getFlags?: () => Array<{ getName(): string; getValue(): string | null }>;
  };
  for (const flag of withFlags.getFlags?.() ?? [])
    flags.set(flag.getName().toLowerCase(), flag.getValue() ?? '');
  return flags;
}

/** The arguments after leading `--flag` / `--flag=value` words. */
function argumentsAfterFlags(raw: string): string {
  let rest = raw.trimStart();
  while (rest.startsWith('--')) {
    const space = rest.search(/\s/);
    rest = space < 0 ? '' : rest.slice(space).trimStart();
  }
  return rest;
}

/** The strings of an exec-form (JSON list) argument, or undefined for shell form. */
function jsonArguments(text: string): string[] | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (Array.isArray(parsed) && parsed.every((item): item is string => typeof item === 'string'))
      return parsed;
  } catch {
    // Not JSON: Docker runs it as a shell command.
  }
  return undefined;
}

/** A build-context path: relative, without `./`, a leading `/` or a trailing `/`; the context itself is `.`. */
export function normaliseContextPath(value: string): string {
  const normalised = path.posix.normalize(`/${value}`).replace(/\/+$/, '');
  return normalised === '' ? '.' : normalised.slice(1);
}

/** An absolute path in an image: `/app/` and `/app/./` are `/app`. */
export function normaliseAbsolute(value: string): string {
  const normalised = path.posix.normalize(value.startsWith('/') ? value : `/${value}`);
  return normalised.length > 1 ? normalised.replace(/\/+$/, '') : normalised;
}

/** Does a COPY source (normalised) bring in `wanted`: the same path, a folder holding it, or a wildcard matching it? */
export function sourceIncludes(source: string, wanted: string): boolean {
  if (source === '.' || source === '/' || source === wanted) return true;
  const prefix = source.endsWith('/') ? source : `${source}/`;
  if (wanted.startsWith(prefix)) return true;
  if (!/[*?[]/.test(source)) return false;
  // A wildcard matches the path or one of the folders above it, segment by segment.
  const pattern = globRegExp(source);
  const segments = wanted.split('/');
  return segments.some((_, index) => pattern.test(segments.slice(0, index + 1).join('/')));
}

/** Go's filepath.Match, which Docker uses for COPY sources: `*` and `?` stop at `/`. */
function globRegExp(glob: string): RegExp {
  let pattern = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index] ?? '';
    if (char === '*') pattern += '[^/]*';
    else if (char === '?') pattern += '[^/]';
    else if (char === '[') {
      const end = glob.indexOf(']', index + 1);
      if (end < 0) pattern += '\\[';
      else {
        pattern += `[${glob
          .slice(index + 1, end)
          .replace(/^\^|^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        index = end;
      }
    } else pattern += char.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`);
}

// ---------------------------------------------------------------------------------------------
// RUN: what the shell runs

/** The script a RUN runs: its shell text, its heredoc's body, or an exec form's arguments. */
function runScript(instruction: Instruction, escapeChar: string): string[][] {
  const raw = instruction.getRawArgumentsContent() ?? '';
  const afterFlags = argumentsAfterFlags(raw);
  const exec = jsonArguments(afterFlags);
  if (exec !== undefined) return expandShellC([exec]);
  const heredoc = /^<<-?\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(afterFlags);
  if (heredoc !== null) {
    const lines = afterFlags.split(/\r?\n/);
    const end = lines.findIndex((line, index) => index > 0 && line.trim() === heredoc[2]);
    const body = lines.slice(1, end < 0 ? undefined : end).join('\n');
    // Text after the heredoc marker on the first line (`RUN <<EOF && pip install x`) runs too.
    const firstLine = (lines[0] ?? '').slice(heredoc[0].length);
    return expandShellC([...splitCommands(firstLine), ...splitCommands(body)]);
  }
  return expandShellC(splitCommands(joinLines(afterFlags, escapeChar)));
}

function joinLines(text: string, escapeChar: string): string {
  const escaped = escapeChar.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`${escaped}[ \\t]*\\r?\\n`, 'g'), ' ');
}

/** `sh -c "pip install x"`: the string is a script of its own. */
function expandShellC(commands: string[][]): string[][] {
  return commands.flatMap((argv) => {
    const shell = path.posix.basename(argv[0] ?? '');
    if (['sh', 'bash', 'dash', 'ash', 'zsh'].includes(shell)) {
      const flag = argv.findIndex((arg, index) => index > 0 && /^-[a-z]*c[a-z]*$/.test(arg));
      const script = flag < 0 ? undefined : argv[flag + 1];
      if (script !== undefined) return expandShellC(splitCommands(script));
    }
    return [argv];
  });
}

/**
 * A shell script's simple commands, each as its words (quotes removed): split at `&&`, `||`,
 * `;`, `|`, `&`, newlines and parentheses, comments dropped. Enough to recognise an install;
 * not a full shell (no expansion).
 */
export function splitCommands(script: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let index = 0; index < script.length; index++) {
    const char = script[index] ?? '';
    if (char === "'") {
      const end = script.indexOf("'", index + 1);
      word += script.slice(index + 1, end < 0 ? undefined : end);
      inWord = true;
      index = end < 0 ? script.length : end;
    } else if (char === '"') {
      index++;
      while (index < script.length && script[index] !== '"') {
        if (script[index] === '\\' && index + 1 < script.length) index++;
        word += script[index] ?? '';
        index++;
      }
      inWord = true;
    } else if (char === '\\') {
      if (script[index + 1] === '\n') index++;
      else {
        word += script[index + 1] ?? '';
        inWord = true;
        index++;
      }
    } else if (char === '#' && !inWord) {
      const end = script.indexOf('\n', index);
      index = end < 0 ? script.length : end - 1;
    } else if ('&|;\n()'.includes(char)) {
      endCommand();
    } else if (/\s/.test(char)) {
      endWord();
    } else {
      word += char;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

/** Words that run the next command: `sudo pip install`, `env A=1 pip install`. */
const WRAPPERS = new Set(['sudo', 'env', 'exec', 'command', 'time', 'nohup', 'nice']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

function installsOf(commands: string[][], workdir: string): Install[] {
  const installs: Install[] = [];
  for (const words of commands) {
    let argv = words;
    // Leading variable assignments and wrappers (with their options) come off.
    while (argv.length > 0) {
      const first = argv[0] ?? '';
      if (ASSIGNMENT.test(first) || (first.startsWith('-') && argv !== words)) argv = argv.slice(1);
      else if (WRAPPERS.has(path.posix.basename(first))) argv = argv.slice(1);
      else break;
    }
    const install = installOf(argv, workdir);
    if (install !== undefined) installs.push(install);
  }
  return installs;
}

const PIP = /^pip(\d+(\.\d+)?)?$/;
const PYTHON = /^python(\d+(\.\d+)?)?$/;
/** pip's options that take a value as the next word (before the subcommand or after it). */
const PIP_VALUE_OPTIONS = new Set([
  '--cache-dir',
  '--log',
  '--log-file',
  '--proxy',
  '--retries',
  '--timeout',
  '--exists-action',
  '--trusted-host',
  '--cert',
  '--client-cert',
  '--python',
  '--keyring-provider',
  '--use-feature',
  '--use-deprecated',
  '--progress-bar',
  '--root-user-action',
  '-i',
  '--index-url',
  '--extra-index-url',
  '-f',
  '--find-links',
  '-c',
  '--constraint',
  '-t',
  '--target',
  '--prefix',
  '--root',
  '--platform',
  '--python-version',
  '--implementation',
  '--abi',
  '--src',
  '-e',
  '--editable',
  '--upgrade-strategy',
  '--no-binary',
  '--only-binary',
  '--report',
  '--config-settings',
  '-C',
]);

function installOf(argv: string[], workdir: string): Install | undefined {
  const program = path.posix.basename(argv[0] ?? '');
  let rest: string[] | undefined;
  if (PIP.test(program)) rest = argv.slice(1);
  else if (PYTHON.test(program)) {
    // python3 -u -m pip install ...: options before -m are the interpreter's.
    const module = argv.findIndex((arg, index) => index > 0 && (arg === '-m' || arg.startsWith('-m')));
    const name = module < 0 ? undefined : argv[module] === '-m' ? argv[module + 1] : argv[module]?.slice(2);
    if (name !== undefined && PIP.test(name))
      rest = argv.slice(argv[module] === '-m' ? module + 2 : module + 1);
  }
  if (rest !== undefined) {
    const { subcommand, after } = subcommandOf(rest, PIP_VALUE_OPTIONS);
    if (subcommand !== 'install') return undefined;
    return { manager: 'pip', requirements: requirementFiles(after, workdir) };
  }
  const { subcommand } = subcommandOf(
    argv.slice(1),
    new Set(['-o', '-t', '-c', '--option', '--target-release']),
  );
  if ((program === 'apt-get' || program === 'apt') && subcommand === 'install')
    return { manager: 'apt', requirements: [] };
  if (program === 'apk' && subcommand === 'add') return { manager: 'apk', requirements: [] };
  if (program === 'npm' && ['install', 'i', 'ci', 'add'].includes(subcommand ?? ''))
    return { manager: 'npm', requirements: [] };
  return undefined;
}

/** The first word that is not an option (nor an option's value), and the words after it. */
function subcommandOf(words: string[], valueOptions: Set<string>): { subcommand?: string; after: string[] } {
  for (let index = 0; index < words.length; index++) {
    const word = words[index] ?? '';
    if (!word.startsWith('-')) return { subcommand: word, after: words.slice(index + 1) };
    if (valueOptions.has(word)) index++;
  }
  return { after: [] };
}

function requirementFiles(words: string[], workdir: string): string[] {
  const files: string[] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index] ?? '';
    let file: string | undefined;
    if (word === '-r' || word === '--requirement') file = words[++index];
    else if (word.startsWith('--requirement=')) file = word.slice('--requirement='.length);
    else if (/^-r./.test(word)) file = word.slice(2);
    if (file !== undefined) files.push(normaliseAbsolute(path.posix.resolve(workdir, file)));
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// Step matchers

/** Does this instruction do what the matcher says? Every key given must hold. */
export function stepMatches(instruction: InstructionMeaning, matcher: StepMatcher, stages: Stage[]): boolean {
  const checks: boolean[] = [];
  if (matcher.copies !== undefined || matcher.copiesFrom !== undefined) {
    checks.push(copyMatches(instruction, matcher, stages));
  }
  if (matcher.installs !== undefined) {
    const wanted = matcher.requirements;
    checks.push(
      instruction.installs.some(
        (install) =>
          install.manager === matcher.installs &&
          (wanted === undefined || install.requirements.some((file) => requirementIs(file, wanted))),
      ),
    );
  }
  if (matcher.workdir !== undefined) {
    checks.push(
      instruction.keyword === 'WORKDIR' && instruction.workdir === normaliseAbsolute(matcher.workdir),
    );
  }
  if (matcher.matches !== undefined) checks.push(new RegExp(matcher.matches).test(instruction.text));
  return checks.length > 0 && checks.every(Boolean);
}

function copyMatches(instruction: InstructionMeaning, matcher: StepMatcher, stages: Stage[]): boolean {
  const copy = instruction.copy;
  if (copy === undefined) return false;
  if (matcher.copiesFrom === undefined) {
    if (copy.from !== undefined) return false;
  } else if (copy.from === undefined || !fromMatches(copy.from, matcher.copiesFrom, stages)) {
    return false;
  }
  if (matcher.copies === undefined) return true;
  const wanted =
    copy.from === undefined ? normaliseContextPath(matcher.copies) : normaliseAbsolute(matcher.copies);
  return copy.sources.some((source) => sourceIncludes(source, wanted));
}

function fromMatches(from: CopySource, wanted: string | number | boolean, stages: Stage[]): boolean {
  if ('image' in from) return typeof wanted === 'string' && from.image === wanted;
  if (wanted === true) return true;
  if (wanted === false) return false;
  if (typeof wanted === 'number' || /^\d+$/.test(wanted)) return from.stage === Number(wanted);
  return stages[from.stage]?.name === wanted.toLowerCase();
}

/** A relative `requirements:` names the file wherever it was copied; an absolute one, that path. */
function requirementIs(file: string, wanted: string): boolean {
  if (wanted.startsWith('/')) return file === normaliseAbsolute(wanted);
  const relative = normaliseContextPath(wanted);
  return file === `/${relative}` || file.endsWith(`/${relative}`);
}

/** "copies requirements.txt", "installs with pip from requirements.txt", ... */
export function describeStep(matcher: StepMatcher): string {
  const parts: string[] = [];
  if (matcher.copies !== undefined || matcher.copiesFrom !== undefined) {
    const what = matcher.copies ?? 'files';
    parts.push(
      `copies ${what}${matcher.copiesFrom === undefined ? '' : ` ${describeFrom(matcher.copiesFrom)}`}`,
    );
  }
  if (matcher.installs !== undefined) {
    parts.push(
      `installs with ${matcher.installs}${matcher.requirements === undefined ? '' : ` from ${matcher.requirements}`}`,
    );
  }
  if (matcher.workdir !== undefined) parts.push(`sets WORKDIR ${matcher.workdir}`);
  if (matcher.matches !== undefined) parts.push(`matches /${matcher.matches}/`);
  return parts.join(' and ');
}

function describeFrom(from: string | number | boolean): string {
  if (from === true) return 'from an earlier stage';
  if (typeof from === 'number' || /^\d+$/.test(String(from))) return `from stage ${from}`;
  return `from ${from}`;
}

/** `line 4: RUN pip install -r requirements.txt` */
export function describeInstruction(instruction: InstructionMeaning): string {
  return `line ${instruction.line}: ${instruction.text}`;
}
