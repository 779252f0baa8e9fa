// npm run bench [-- --rounds N] [--no-concurrency] [--json FILE]
// npm run bench -- --class [--students N] [--class-rounds N]: a class's throughput (bench/class.mjs)
//
// The scenario of issue 9 (bench/scenario: one cached build, one container, 22 command checks,
// 3 HTTP checks, 3 image checks), whole processes, three ways, in alternating order each round:
//   (a) the grader: node dist/cli/index.js grade (the bundle, a real process);
//   (b) the floor: bench/floor.mjs, only the Engine API calls the scenario needs, raw HTTP;
//   (c) the course's style: bench/course-style.sh, one docker/curl process per check.
// Also: the CLI's cold start (process start to its first engine call, from a timestamp the CLI
// prints with DOCKER_AUTOGRADER_TRACE_START=1 on the monotonic clock processes share), `schema`
// and a bare `node -e 0` for scale, the grader's peak RSS (/usr/bin/time), and 6 independent
// exercises graded with --concurrency 3 against --concurrency 1.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'concurrency-rounds': { type: 'string', default: '3' },
    'no-concurrency': { type: 'boolean', default: false },
    json: { type: 'string' },
    // Another build of the CLI (e.g. a copy of main's dist/cli) graded in the same rounds.
    baseline: { type: 'string' },
    class: { type: 'boolean', default: false },
    students: { type: 'string', default: '12' },
    'class-rounds': { type: 'string', default: '1' },
  },
});
if (values.class) {
  const { runClassBench } = await import('./class.mjs');
  const classRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const classCli = path.join(classRoot, 'dist/cli/index.js');
  if (!existsSync(classCli)) throw new Error('dist/cli/index.js is missing: run npm run build first');
  const students = Number(values.students);
  const classRounds = Number(values['class-rounds']);
  if (!Number.isInteger(students) || students < 1) throw new Error('--students must be a positive integer');
  if (!Number.isInteger(classRounds) || classRounds < 1)
    throw new Error('--class-rounds must be a positive integer');
  await runClassBench({ root: classRoot, cli: classCli, students, rounds: classRounds });
  process.exit(0);
}
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const cli = path.join(root, 'dist/cli/index.js');
if (!existsSync(cli)) throw new Error('dist/cli/index.js is missing: run npm run build first');
const scenarioDir = path.join(root, 'bench/scenario');
const exerciseFile = path.join(scenarioDir, 'exercise.yaml');
const submission = path.join(scenarioDir, 'submission');
const work = mkdtempSync(path.join(tmpdir(), 'autograder-bench-'));
const suffix = `${process.pid}`;
const floorTag = `autograder-bench-floor-${suffix}:latest`;
const courseTag = `autograder-bench-course-${suffix}:latest`;

/** What the floor needs to know of the scenario, taken from the exercise itself. */
function floorPlan() {
  const spec = parse(readFileSync(exerciseFile, 'utf8'));
  const execs = spec.checks
    .filter((check) => check.exec)
    .map((check) => ({
      argv:
        typeof check.exec.command === 'string' ? ['/bin/sh', '-c', check.exec.command] : check.exec.command,
      exitCode: check.expect.exitCode,
    }));
  const httpPaths = spec.checks.filter((check) => check.http).map((check) => check.http.path);
  const images = spec.checks.filter((check) => check.image).length;
  if (execs.length !== 22 || httpPaths.length !== 3 || images !== 3) {
    throw new Error('bench/scenario must have 22 exec, 3 http and 3 image checks');
  }
  return {
    runLabel: `bench-${suffix}`,
    context: submission,
    tag: floorTag,
    name: `autograder-bench-floor-${suffix}`,
    execs,
    httpPaths,
    waitPath: '/status.txt',
  };
}
const planFile = path.join(work, 'plan.json');
writeFileSync(planFile, JSON.stringify(floorPlan()));

/** Runs a process to its end; resolves with wall ms, stderr, and the exit code. */
function run(command, args, env = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, started, stderr, code });
    });
  });
}

function must(result, what) {
  if (result.code !== 0)
    throw new Error(`${what} exited with ${result.code}:\n${result.stderr.slice(-2000)}`);
  return result;
}

const rssFile = path.join(work, 'rss');
const baselineCli = values.baseline === undefined ? undefined : path.resolve(values.baseline, 'index.js');

async function gradeWith(bundle) {
  const result = must(
    await run(
      '/usr/bin/time',
      [
        '-f',
        '%M',
        '-o',
        rssFile,
        process.execPath,
        bundle,
        'grade',
        exerciseFile,
        '--submission',
        submission,
        '--quiet',
      ],
      { DOCKER_AUTOGRADER_TRACE_START: '1' },
    ),
    'grade',
  );
  const mark = /first engine call at (\d+) ns/.exec(result.stderr);
  return {
    ms: result.ms,
    coldMs: mark ? Number(BigInt(mark[1]) - result.started) / 1e6 : undefined,
    rssMb: Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024,
  };
}

const ways = {
  grader: () => gradeWith(cli),
  ...(baselineCli ? { baseline: () => gradeWith(baselineCli) } : {}),
  async floor() {
    return {
      ms: must(await run(process.execPath, [path.join(root, 'bench/floor.mjs'), planFile]), 'floor').ms,
    };
  },
  async course() {
    const result = await run('bash', [
      path.join(root, 'bench/course-style.sh'),
      submission,
      courseTag,
      `autograder-bench-course-${suffix}`,
      `org.docker-autograder.run=bench-${suffix}`,
    ]);
    return { ms: must(result, 'course-style.sh').ms };
  },
};

const median = (list) => {
  const sorted = list.filter((value) => value !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const fmt = (value, digits = 0) => (value === undefined ? 'n/a' : value.toFixed(digits));

const samples = {
  grader: [],
  floor: [],
  course: [],
  coldMs: [],
  rssMb: [],
  schema: [],
  validate: [],
  node: [],
  baseline: [],
  baselineColdMs: [],
  baselineRssMb: [],
};
try {
  process.stderr.write(`warm-up (one of each, so that no way pays for a cold cache)\n`);
  for (const way of Object.values(ways)) await way();
  const names = Object.keys(ways);
  for (let round = 0; round < rounds; round++) {
    // Rotated each round: no way always runs right after the same other one.
    const order = names.map((_, index) => names[(index + round) % names.length]);
    for (const name of order) {
      const sample = await ways[name]();
      samples[name].push(sample.ms);
      if (name === 'grader') {
        samples.coldMs.push(sample.coldMs);
        samples.rssMb.push(sample.rssMb);
      }
      if (name === 'baseline') {
        samples.baselineColdMs.push(sample.coldMs);
        samples.baselineRssMb.push(sample.rssMb);
      }
    }
    samples.node.push(must(await run(process.execPath, ['-e', '0']), 'node').ms);
    samples.schema.push(must(await run(process.execPath, [cli, 'schema']), 'schema').ms);
    samples.validate.push(must(await run(process.execPath, [cli, 'validate', exerciseFile]), 'validate').ms);
    process.stderr.write(
      `round ${round + 1}/${rounds}: grader ${fmt(samples.grader.at(-1))} ms, floor ${fmt(samples.floor.at(-1))} ms, course ${fmt(samples.course.at(-1))} ms\n`,
    );
  }

  const concurrency = values['no-concurrency']
    ? undefined
    : await measureConcurrency(Number(values['concurrency-rounds']));
  const m = Object.fromEntries(Object.entries(samples).map(([key, list]) => [key, median(list)]));
  const rows = [
    ['(a) grader, CLI bundle', `${fmt(m.grader)} ms`],
    ['(b) floor, bare Engine API', `${fmt(m.floor)} ms`],
    ['(c) course style, docker/curl per check', `${fmt(m.course)} ms`],
    ['(a)/(c)  target <= 0.5', fmt(m.grader / m.course, 2)],
    ['(a)/(b)  target <= 0.7', fmt(m.grader / m.floor, 2)],
    ['cold start to first engine call  target <= 150 ms', `${fmt(m.coldMs)} ms`],
    ['`schema` wall (no engine)', `${fmt(m.schema)} ms`],
    ['`validate` wall (no engine)', `${fmt(m.validate)} ms`],
    ['`node -e 0` wall, for scale', `${fmt(m.node)} ms`],
    ['grader peak RSS  target <= 80 MB', `${fmt(m.rssMb, 1)} MB`],
  ];
  if (baselineCli) {
    rows.push(
      ['baseline CLI (--baseline), same scenario', `${fmt(m.baseline)} ms`],
      ['baseline cold start', `${fmt(m.baselineColdMs)} ms`],
      ['baseline peak RSS', `${fmt(m.baselineRssMb, 1)} MB`],
    );
  }
  if (concurrency) {
    rows.push(
      ['6 exercises, --concurrency 1', `${fmt(concurrency.one)} ms`],
      ['6 exercises, --concurrency 3', `${fmt(concurrency.three)} ms`],
      ['c3/c1  target <= 0.6', fmt(concurrency.three / concurrency.one, 2)],
      ['6-exercise runs that did not pass (timed all the same)', String(concurrency.failures.length)],
    );
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(`medians of ${rounds} rounds (whole processes, alternating order)`);
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
  if (values.json)
    writeFileSync(values.json, `${JSON.stringify({ rounds, samples, medians: m, concurrency }, null, 2)}\n`);
} finally {
  await run('docker', ['rmi', floorTag, courseTag]);
  rmSync(work, { recursive: true, force: true });
}

/** 6 copies of the scenario as independent exercises, graded at --concurrency 1 and 3. */
async function measureConcurrency(concurrencyRounds) {
  const help = await new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, '--help'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
    });
    child.on('close', () => resolve(text));
  });
  if (!help.includes('--concurrency')) {
    process.stderr.write('this CLI has no --concurrency: the 6-exercise measurement is skipped\n');
    return undefined;
  }
  const files = [];
  const source = readFileSync(exerciseFile, 'utf8');
  for (let index = 1; index <= 6; index++) {
    const dir = path.join(work, `exercise-${index}`);
    mkdirSync(dir);
    const file = path.join(dir, 'exercise.yaml');
    writeFileSync(file, source.replace('id: bench/scenario', `id: bench/scenario-${index}`));
    files.push(file);
  }
  const failures = [];
  /** A run that did not pass is timed all the same, and its failed checks are said (load can starve a wait). */
  const gradeAll = async (concurrency) => {
    const reportFile = path.join(work, `report-${concurrency}.json`);
    const result = await run(process.execPath, [
      cli,
      'grade',
      ...files,
      '--submission',
      submission,
      '--quiet',
      '--concurrency',
      String(concurrency),
      '--format',
      'json',
      '--out',
      reportFile,
    ]);
    if (result.code === 1) {
      const report = JSON.parse(readFileSync(reportFile, 'utf8'));
      const failed = report.exercises.flatMap((exercise) => [
        ...(exercise.setupError ? [`${exercise.id}: ${exercise.setupError}`] : []),
        ...exercise.checks
          .filter((check) => check.status !== 'pass')
          .map((check) => `${exercise.id}: ${check.name}: ${check.message}`),
      ]);
      failures.push({ concurrency, failed });
      process.stderr.write(`grade --concurrency ${concurrency} did not pass:\n  ${failed.join('\n  ')}\n`);
      return result.ms;
    }
    return must(result, `grade --concurrency ${concurrency}`).ms;
  };
  const one = [];
  const three = [];
  for (let round = 0; round < concurrencyRounds; round++) {
    if (round % 2 === 0) {
      one.push(await gradeAll(1));
      three.push(await gradeAll(3));
    } else {
      three.push(await gradeAll(3));
      one.push(await gradeAll(1));
    }
    process.stderr.write(
      `6 exercises, round ${round + 1}/${concurrencyRounds}: c1 ${fmt(one.at(-1))} ms, c3 ${fmt(three.at(-1))} ms\n`,
    );
  }
  return { one: median(one), three: median(three), samples: { one, three }, failures };
}
