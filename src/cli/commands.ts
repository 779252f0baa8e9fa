// The CLI: argv in, exit code out. Reports go to stdout (or --out), progress to stderr, so
// `grade --format json > report.json` stays clean.
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_KEY_ENV, keyProblem, parseAnswers, renderAnswersExpect } from '../checks/answers-hash';
import { createDockerEngine } from '../engine/docker-engine';
import { type GradeOptions, grade } from '../grading/grade';
import {
  exitCodeOf,
  interrupted,
  outcomeOfError,
  outcomeOfReport,
  terminalMessageOf,
} from '../grading/outcome';
import { renderSelftest, selftest } from '../grading/selftest';
import { watchdogMs, withEngine } from '../grading/session';
import { isReportFormat, REPORT_FORMATS, renderReport } from '../report/render';
import { stripUnsafe } from '../report/sanitize';
import type { Progress } from '../run/context';
import { ExitCode, errorMessage, UsageError } from '../shared/errors';
import { loadExercises } from '../spec/discover';
import { exerciseSchemaText } from '../spec/load';
import { classReportCommand, gradeClass, mergeGradebookFiles } from './class-commands';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stderr is a terminal: progress of several exercises is shown as a live status line. */
  stderrIsTty?: boolean;
}

const FORMATS = REPORT_FORMATS;

export const USAGE = `docker-autograder: grades Docker exercises on a real Docker engine

Usage:
  docker-autograder grade EXERCISE... [--submission DIR] [--format text|json|markdown|junit] [--out FILE] [--quiet] [--concurrency N]
  docker-autograder grade EXERCISE... --submissions DIR... [--gradebook DIR] [--concurrency N] [--shard I/N] [--fresh] [--quiet]
  docker-autograder gradebook merge GRADEBOOK... --out DIR
  docker-autograder report GRADEBOOK... --out FILE
  docker-autograder validate EXERCISE...
  docker-autograder selftest EXERCISE... [--quiet]
  docker-autograder schema
  docker-autograder answers hash EXERCISE_ID (QUESTION=ANSWER... | --file ANSWERS.yaml) [--key-env NAME]
  docker-autograder cleanup (--run RUN_ID | --all)

EXERCISE is an exercise.yaml, or a folder searched for them.
--submission DIR   the student's repository (default: the current folder)
--format FORMAT    report format on stdout or in --out (default: text)
--out FILE         write the report to FILE instead of stdout
--quiet            no progress lines on stderr
--concurrency N    grade N exercises at once (default: the engine's CPU count); the report and
                   the progress lines keep the exercises' order. With --submissions: N students
                   at once, each student's exercises one after the other

A class: --submissions DIR (repeatable) grades every sub-folder of DIR as one student's
repository, at most --concurrency at a time, into DIR/gradebook.{csv,json} of --gradebook
(default: gradebook). An interrupted regrade resumes: students already graded with the same
exercises are kept (--fresh grades all again). --shard I/N grades the I-th of N shards of the
class; gradebook merge joins the shards' gradebooks (a gradebook.json or its folder).
Beside each gradebook: checks.csv (every check's outcome) and class-report.html (per-exercise
and per-check statistics); report writes the class report of GRADEBOOK... to FILE.

selftest grades each exercise's solutions/: reference must get full marks, every wrong-*
must not (and must fail exactly the checks its expect.yaml lists, when it has one).
answers hash prints the expect block of an answers check; the key is read from
AUTOGRADER_ANSWERS_KEY (or --key-env), never from the command line.

Exit codes: 0 passed, 1 graded and not passed, 2 bad spec or usage, 3 infrastructure error.
The engine is the one DOCKER_HOST names, or the local socket.`;

export async function runCli(argv: string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    const outcome = outcomeOfError(error);
    io.stderr(terminalMessageOf(outcome));
    if (outcome.kind === 'internal' && process.env.DOCKER_AUTOGRADER_DEBUG && error instanceof Error) {
      io.stderr(`${error.stack}\n`);
    }
    return exitCodeOf(outcome);
  }
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'grade':
      return gradeCommand(rest, io);
    case 'validate':
      return validateCommand(rest, io);
    case 'selftest':
      return selftestCommand(rest, io);
    case 'gradebook':
      return gradebookCommand(rest, io);
    case 'report':
      return classReportCommand(parse(rest, { out: { type: 'string' } }), io);
    case 'answers':
      return answersCommand(rest, io);
    case 'schema':
      parse(rest, {});
      io.stdout(exerciseSchemaText());
      return ExitCode.passed;
    case 'cleanup':
      return cleanupCommand(rest, io);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      io.stdout(`${USAGE}\n`);
      return command === undefined ? ExitCode.badInput : ExitCode.passed;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

function parse<O extends OptionSpec>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
}

async function gradeCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    submission: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    quiet: { type: 'boolean' },
    submissions: { type: 'string', multiple: true },
    gradebook: { type: 'string' },
    concurrency: { type: 'string' },
    shard: { type: 'string' },
    fresh: { type: 'boolean' },
  });
  if (values.submissions !== undefined) {
    for (const single of ['submission', 'format', 'out'] as const) {
      if (values[single] !== undefined)
        throw new UsageError(
          `--${single} grades one student; with --submissions the result is the gradebook`,
        );
    }
    const quiet = values.quiet === true;
    return gradeClass({
      exercises: await loadExercises(positionals),
      submissions: [values.submissions].flat(),
      outDir: values.gradebook ?? 'gradebook',
      shard: values.shard,
      concurrency: values.concurrency,
      fresh: values.fresh === true,
      log: (line) => io.stderr(`${line}\n`),
      progressOf: (student) => progressOn(prefixed(io, student), quiet),
    });
  }
  for (const classOnly of ['gradebook', 'shard', 'fresh'] as const) {
    if (values[classOnly] !== undefined) throw new UsageError(`--${classOnly} goes with --submissions`);
  }
  const format = values.format ?? 'text';
  if (!isReportFormat(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  const concurrency = values.concurrency === undefined ? 'engine' : positiveInteger(values.concurrency);
  const exercises = await loadExercises(positionals);
  const quiet = values.quiet === true;
  const live =
    !quiet && io.stderrIsTty === true && exercises.length > 1 ? liveStatus(io, exercises.length) : undefined;
  const progress = live?.progress ?? progressOn(io, quiet);
  const report = await withEngine(
    (engine) => {
      markFirstEngineCall();
      return grade(exercises, {
        engine,
        submissionRoot: values.submission ?? '.',
        progress,
        concurrency,
        onExercise: live?.onExercise,
      });
    },
    {
      log: progress.info,
      watchdogMs: watchdogMs(exercises),
      onAbandon: (reason) => io.stderr(terminalMessageOf(interrupted(reason))),
    },
  ).finally(() => live?.close());
  const rendered = await renderReport(format, report);
  if (values.out) await writeFile(values.out, rendered);
  else io.stdout(rendered.endsWith('\n') ? rendered : `${rendered}\n`);
  return exitCodeOf(outcomeOfReport(report));
}

async function validateCommand(args: string[], io: Io): Promise<number> {
  const { positionals } = parse(args, {});
  const exercises = await loadExercises(positionals);
  for (const exercise of exercises) {
    io.stdout(`${exercise.file}: ok (${exercise.spec.id}, ${exercise.spec.checks.length} checks)\n`);
  }
  return ExitCode.passed;
}

async function cleanupCommand(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, { run: { type: 'string' }, all: { type: 'boolean' } });
  if ((values.run === undefined) === (values.all !== true)) {
    throw new UsageError('cleanup needs either --run RUN_ID or --all');
  }
  const engine = createDockerEngine(values.run ?? 'cleanup');
  const removed = await engine.removeResources(values.all ? { allRuns: true } : { runId: values.run });
  io.stdout(
    `removed ${removed.containers} containers, ${removed.networks} networks, ${removed.volumes} volumes, ${removed.images} images\n`,
  );
  for (const failure of removed.failures) io.stderr(`could not remove: ${failure}\n`);
  return removed.failures.length === 0 ? ExitCode.passed : ExitCode.infrastructure;
}

async function gradebookCommand(args: string[], io: Io): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'merge')
    throw new UsageError('gradebook needs a subcommand: gradebook merge GRADEBOOK... --out DIR');
  const { values, positionals } = parse(rest, { out: { type: 'string' } });
  if (values.out === undefined) throw new UsageError('gradebook merge needs --out DIR');
  const merged = await mergeGradebookFiles(positionals, values.out);
  const students = new Set(merged.rows.map((row) => row.student)).size;
  io.stdout(
    `merged ${positionals.length} gradebooks: ${students} students, ${merged.rows.length} rows in ${values.out}\n`,
  );
  return ExitCode.passed;
}

/** Each line of one student's grading, prefixed with the student, so that concurrent gradings stay readable. */
function prefixed(io: Io, student: string): Io {
  const prefix = `${stripUnsafe(student)} │ `;
  return { stdout: io.stdout, stderr: (text) => io.stderr(text.replace(/^(?=.)/gm, prefix)) };
}

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!/^[1-9][0-9]{0,3}$/.test(text) || !Number.isSafeInteger(value)) {
    throw new UsageError(`--concurrency must be a whole number from 1, not "${text}"`);
  }
  return value;
}

/**
 * On a terminal, while several exercises are graded: the ordered progress lines, and under them
 * one status line, redrawn in place, saying which exercises run and how many are done. In CI
 * (not a terminal) only the plain lines are written.
 */
function liveStatus(
  io: Io,
  count: number,
): { progress: Progress; onExercise: NonNullable<GradeOptions['onExercise']>; close: () => void } {
  const running = new Map<number, string>();
  let done = 0;
  let shown = false;
  const status = (): string => {
    const names = [...running.values()].join(', ');
    return `[${done}/${count} done${running.size > 0 ? `, grading ${names}` : ''}]`;
  };
  const clear = (): void => {
    if (shown) io.stderr('\r\u001b[K');
    shown = false;
  };
  const draw = (): void => {
    clear();
    io.stderr(stripUnsafe(status()).slice(0, 200));
    shown = true;
  };
  const line = (text: string): void => {
    clear();
    io.stderr(`${text}\n`);
    draw();
  };
  return {
    progress: { info: (text) => line(text), output: (text) => line(`  | ${stripUnsafe(text)}`) },
    onExercise: ({ index, id, state }) => {
      if (state === 'running') running.set(index, id);
      else {
        running.delete(index);
        done += 1;
      }
      draw();
    },
    close: clear,
  };
}

/**
 * For the benchmark's cold start (bench/run.mjs): with DOCKER_AUTOGRADER_TRACE_START set, the
 * moment just before the first engine request, on the monotonic clock every process shares.
 */
function markFirstEngineCall(): void {
  if (process.env.DOCKER_AUTOGRADER_TRACE_START) {
    process.stderr.write(`docker-autograder: first engine call at ${process.hrtime.bigint()} ns\n`);
  }
}

function progressOn(io: Io, quiet: boolean): Progress {
  return quiet
    ? { info: () => {}, output: () => {} }
    : { info: (line) => io.stderr(`${line}\n`), output: (line) => io.stderr(`  | ${stripUnsafe(line)}\n`) };
}

async function selftestCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { quiet: { type: 'boolean' } });
  const exercises = await loadExercises(positionals);
  const progress = progressOn(io, values.quiet === true);
  const outcomes = await withEngine((engine) => selftest(exercises, engine, progress), {
    log: progress.info,
  });
  io.stdout(renderSelftest(outcomes));
  if (outcomes.some((outcome) => outcome.infraError)) return ExitCode.infrastructure;
  return outcomes.every((outcome) => outcome.ok) ? ExitCode.passed : ExitCode.notPassed;
}

async function answersCommand(args: string[], io: Io): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'hash') throw new UsageError('answers needs a subcommand: answers hash EXERCISE_ID ...');
  const { values, positionals } = parse(rest, { file: { type: 'string' }, 'key-env': { type: 'string' } });
  const [exerciseId, ...pairs] = positionals;
  if (exerciseId === undefined) throw new UsageError('answers hash needs the exercise id');
  const keyEnv = values['key-env'] ?? DEFAULT_KEY_ENV;
  const key = process.env[keyEnv];
  const problem = keyProblem(key, keyEnv);
  if (problem !== undefined || key === undefined) throw new UsageError(problem ?? 'no key');
  const answers = values.file === undefined ? answersFromPairs(pairs) : await answersFromFile(values.file);
  io.stdout(renderAnswersExpect(key, exerciseId, answers));
  return ExitCode.passed;
}

function answersFromPairs(pairs: string[]): Record<string, string> {
  if (pairs.length === 0) throw new UsageError('give the answers as QUESTION=ANSWER, or --file ANSWERS.yaml');
  const answers: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`"${pair}" is not QUESTION=ANSWER`);
    answers[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return answers;
}

async function answersFromFile(file: string): Promise<Record<string, unknown>> {
  const parsed = parseAnswers(
    await readFile(file, 'utf8').catch(() => {
      throw new UsageError(`cannot read ${file}`);
    }),
  );
  if (!parsed.ok) throw new UsageError(`${file} ${parsed.problem}`);
  return parsed.answers;
}
