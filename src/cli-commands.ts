// The CLI: argv in, exit code out. Reports go to stdout (or --out), progress to stderr, so
// `grade --format json > report.json` stays clean.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createDockerEngine } from './engine/docker-engine';
import { ExitCode, errorMessage, formatProblem, InfraError, SpecError, UsageError } from './errors';
import { grade } from './grade';
import { renderJson } from './report/json';
import { renderMarkdown } from './report/markdown';
import { hasInfraError } from './report/model';
import { stripUnsafe } from './report/sanitize';
import { renderText } from './report/text';
import type { Progress } from './run/context';
import { withEngine } from './session';
import { loadExercises } from './spec/discover';
import { exerciseSchemaText } from './spec/load';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const FORMATS = ['text', 'json', 'markdown'] as const;
type Format = (typeof FORMATS)[number];

export const USAGE = `docker-autograder: grades Docker exercises on a real Docker engine

Usage:
  docker-autograder grade EXERCISE... [--submission DIR] [--format text|json|markdown] [--out FILE] [--quiet]
  docker-autograder validate EXERCISE...
  docker-autograder schema
  docker-autograder cleanup (--run RUN_ID | --all)

EXERCISE is an exercise.yaml, or a folder searched for them.
--submission DIR   the student's repository (default: the current folder)
--format FORMAT    report format on stdout or in --out (default: text)
--out FILE         write the report to FILE instead of stdout
--quiet            no progress lines on stderr

Exit codes: 0 passed, 1 graded and not passed, 2 bad spec or usage, 3 infrastructure error.
The engine is the one DOCKER_HOST names, or the local socket.`;

export async function runCli(argv: string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof SpecError) {
      for (const problem of error.problems) io.stderr(`${formatProblem(problem)}\n`);
      return ExitCode.badInput;
    }
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\nRun docker-autograder --help for usage.\n`);
      return ExitCode.badInput;
    }
    if (error instanceof InfraError) {
      io.stderr(`infrastructure error: ${error.message}\n`);
      return ExitCode.infrastructure;
    }
    io.stderr(`internal error: ${errorMessage(error)}\n`);
    if (process.env.DOCKER_AUTOGRADER_DEBUG && error instanceof Error) io.stderr(`${error.stack}\n`);
    return ExitCode.infrastructure;
  }
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'grade':
      return gradeCommand(rest, io);
    case 'validate':
      return validateCommand(rest, io);
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

type OptionSpec = Record<string, { type: 'string' | 'boolean' }>;

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
  });
  const format = (values.format ?? 'text') as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  const exercises = await loadExercises(positionals);
  const progress: Progress = values.quiet
    ? { info: () => {}, output: () => {} }
    : { info: (line) => io.stderr(`${line}\n`), output: (line) => io.stderr(`  | ${stripUnsafe(line)}\n`) };
  const report = await withEngine(
    (engine) => grade(exercises, { engine, submissionRoot: values.submission ?? '.', progress }),
    { log: progress.info },
  );
  const rendered =
    format === 'json'
      ? renderJson(report)
      : format === 'markdown'
        ? renderMarkdown(report)
        : renderText(report);
  if (values.out) await writeFile(values.out, rendered);
  else io.stdout(rendered.endsWith('\n') ? rendered : `${rendered}\n`);
  if (hasInfraError(report)) return ExitCode.infrastructure;
  return report.passed ? ExitCode.passed : ExitCode.notPassed;
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
