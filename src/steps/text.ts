// Shortening what student code printed, for messages and logs in the report.

/** The last `lines` lines of a text, without trailing blank lines. */
export function tail(text: string, lines: number): string {
  const all = text.replace(/\n+$/, '').split('\n');
  return all.slice(-lines).join('\n');
}

/** A command line as a student would type it, for messages. */
export function formatCommand(command: string[] | string): string {
  if (typeof command === 'string') return command;
  return command.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Characters of a first error line kept for the report. */
export const MAX_FIRST_ERROR_CHARS = 500;

// Escape sequences (the classic builder wraps a RUN's stderr in red, `\e[91m…\e[0m`) and CRs
// would hide an error line's start from the patterns below.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the purpose
const ESCAPE_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b[@-Z\\-_]/g;

/**
 * Lines that say what went wrong, as the tools a Dockerfile or a student's script runs print
 * them. Anchored at the line's start: a word "error" inside ordinary output ("0 errors",
 * `-Werror`) is not one.
 */
const ERROR_LINES: RegExp[] = [
  // apt-get / dpkg: "E: Unable to locate package foo"
  /^E: \S/,
  // pip, the classic builder's own errors, many CLIs: "ERROR: No matching distribution ..."
  /^ERROR[:!] ?\S/,
  // "error: ...", "Error: No such container: web", "fatal error: ...", "npm ERR! ..."
  /^(?:fatal )?error(?:\[\w+\])?: \S/i,
  /^npm ERR! /,
  /^fatal: \S/,
  // a tool naming itself: "gcc: error: ...", "docker: Error response from daemon: ..."
  /^[\w./-]+: (?:fatal )?error\b/i,
  // compilers: "main.c:3:1: error: expected declaration"
  /^[\w./-]+:\d+(?::\d+)?: (?:fatal )?error: /,
  /^Error response from daemon: /,
  // the classic builder: "COPY failed: file not found in build context ..."
  /^(?:COPY|ADD) failed: /,
  // shells: "/bin/sh: 1: foo: not found", "bash: line 1: foo: command not found",
  // "/bin/sh: cd: line 0: can't cd to /app: ...", "./start.sh: line 3: x: Permission denied"
  /^(?:\/(?:usr\/)?bin\/)?(?:ba|da|z|k|a)?sh: (?:\S+: )?(?:line )?\d+: /,
  /^[\w./-]+: line \d+: /,
  // a command about a path or a name: "cat: /x: No such file or directory", "ping: bad address 'db'"
  /^[\w./-]+: .*(?:No such file or directory|Permission denied|command not found|not found|bad address\b.*|Connection refused|Could not resolve host.*)$/,
  /^curl: \(\d+\) /,
  /^(?:panic|Exception in thread "[^"]*") ?[:\S]/,
];

const TRACEBACK_START = /^Traceback \(most recent call last\):\s*$/;

/**
 * Finds the first error line of output as it streams past, so that a build's error is found
 * even when the log kept for the report is only its tail.
 */
export class FirstErrorFinder {
  private found: string | undefined;
  private inTraceback = false;

  /** The first error line seen so far. */
  get line(): string | undefined {
    return this.found;
  }

  push(raw: string): void {
    if (this.found !== undefined) return;
    for (const part of raw.replace(ESCAPE_SEQUENCE, '').split(/\r\n?|\n/)) {
      this.pushLine(part);
      if (this.found !== undefined) return;
    }
  }

  private pushLine(part: string): void {
    const line = part.trimEnd();
    if (line.trim() === '') return;
    if (this.inTraceback) {
      // A Python traceback names its cause on its last line, the first one not indented
      // ("ModuleNotFoundError: No module named 'flask'").
      if (!/^\s/.test(line)) this.found = clip(line);
      return;
    }
    if (TRACEBACK_START.test(line)) {
      this.inTraceback = true;
      return;
    }
    const trimmed = line.trimStart();
    if (ERROR_LINES.some((pattern) => pattern.test(trimmed))) this.found = clip(trimmed);
  }
}

/**
 * The first line of a step's output that says what went wrong (an `E:` of apt, an `ERROR:` of
 * pip, a shell's "not found", the last line of a Python traceback, the daemon's "Error response
 * from daemon"), or undefined when no line looks like one.
 */
export function firstErrorLine(output: string): string | undefined {
  const finder = new FirstErrorFinder();
  finder.push(output);
  return finder.line;
}

function clip(line: string): string {
  return line.length > MAX_FIRST_ERROR_CHARS ? `${line.slice(0, MAX_FIRST_ERROR_CHARS - 1)}…` : line;
}

/** The first error line, unless it only repeats what the failure already says (a COPY that failed, say). */
export function newInformation(line: string | undefined, message: string): { firstError?: string } {
  return line === undefined || line.includes(message.trim()) ? {} : { firstError: line };
}
