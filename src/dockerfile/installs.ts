// What a RUN installs, and with which package manager: pip (with its -r requirement files), apt,
// apk, npm. Reads the simple commands of shell-script.ts; wrappers such as `sudo` come off.
import path from 'node:path';
import type { Install } from './meaning';
import { normaliseAbsolute } from './paths';

/** Words that run the next command: `sudo pip install`, `env A=1 pip install`. */
const WRAPPERS = new Set(['sudo', 'env', 'exec', 'command', 'time', 'nohup', 'nice']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
export function installsOf(commands: string[][], workdir: string): Install[] {
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
