// npm run bench -- --class [--students N] [--class-rounds N]
//
// A synthetic class graded the way an instructor grades one: `grade --submissions` over
// students' repositories made from the pack's solutions (reference, alt-* and wrong-*, dealt so
// that students differ), at --concurrency 1, 2 and 4, in alternating order each round. Prints
// wall time, student-exercises per minute, and each wall time's ratio to concurrency 1, with
// the machine's load (uptime) before and after: the machine is shared.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';

/** Four exercises of the pack: a script run, a container with HTTP checks, networks, a quiz. */
const EXERCISES = ['intro/hello-world', 'containers/run-nginx', 'networking/inspect', 'volumes/quiz'];
const CONCURRENCIES = [1, 2, 4];

function run(command, args, options) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, stderr, code }),
    );
  });
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');

export async function runClassBench({ root, cli, students: studentCount, rounds }) {
  const work = mkdtempSync(path.join(tmpdir(), 'autograder-bench-class-'));
  try {
    const submissions = path.join(work, 'submissions');
    const solutions = EXERCISES.map((exercise) =>
      readdirSync(path.join(root, 'exercises', exercise, 'solutions')).sort(),
    );
    for (let index = 0; index < studentCount; index++) {
      const repo = path.join(submissions, `student-${String(index + 1).padStart(2, '0')}`);
      mkdirSync(repo, { recursive: true });
      EXERCISES.forEach((exercise, which) => {
        const list = solutions[which];
        // Shifted per exercise, so that no student is "all reference" or "all wrong".
        const solution = list[(index + which) % list.length];
        cpSync(path.join(root, 'exercises', exercise, 'solutions', solution), repo, {
          recursive: true,
          filter: (source) => path.basename(source) !== 'expect.yaml',
        });
      });
    }
    const env = { ...process.env, AUTOGRADER_ANSWERS_KEY: 'selftest-answers-key-not-secret' };
    const exerciseDirs = EXERCISES.map((exercise) => path.join(root, 'exercises', exercise));
    const gradeAt = async (concurrency, round) => {
      const gradebook = path.join(work, `gradebook-c${concurrency}-r${round}`);
      const result = await run(
        process.execPath,
        [
          cli,
          'grade',
          ...exerciseDirs,
          '--submissions',
          submissions,
          '--gradebook',
          gradebook,
          '--concurrency',
          String(concurrency),
          '--fresh',
          '--quiet',
        ],
        { cwd: work, env },
      );
      if (result.code !== 0 && result.code !== 3) {
        throw new Error(
          `grade --submissions at --concurrency ${concurrency} exited with ${result.code}:\n${result.stderr.slice(-2000)}`,
        );
      }
      const book = JSON.parse(readFileSync(path.join(gradebook, 'gradebook.json'), 'utf8'));
      const errors = book.rows.filter((row) => row.status === 'error').length;
      return { ms: result.ms, rows: book.rows.length, errors };
    };

    const before = load();
    process.stderr.write(
      `class bench: ${studentCount} students x ${EXERCISES.length} exercises, load average ${before}\n`,
    );
    const samples = Object.fromEntries(CONCURRENCIES.map((c) => [c, []]));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? CONCURRENCIES : [...CONCURRENCIES].reverse();
      for (const concurrency of order) {
        const sample = await gradeAt(concurrency, round);
        samples[concurrency].push(sample);
        process.stderr.write(
          `round ${round + 1}/${rounds}: --concurrency ${concurrency}: ${(sample.ms / 1000).toFixed(1)} s, ${sample.rows} rows, ${sample.errors} infrastructure errors (load ${load()})\n`,
        );
      }
    }
    const after = load();
    const medianMs = (list) => {
      const sorted = list.map((sample) => sample.ms).sort((a, b) => a - b);
      const middle = Math.floor(sorted.length / 2);
      return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    };
    const base = medianMs(samples[1]);
    const studentExercises = studentCount * EXERCISES.length;
    console.log(
      `class of ${studentCount} students x ${EXERCISES.length} exercises (${EXERCISES.join(', ')}), medians of ${rounds} round(s)`,
    );
    console.log(`load average (1, 5, 15 min): before ${before}; after ${after}`);
    console.log(
      '| --concurrency | wall | student-exercises per minute | wall / concurrency 1 | infrastructure errors |',
    );
    console.log('|---|---|---|---|---|');
    for (const concurrency of CONCURRENCIES) {
      const ms = medianMs(samples[concurrency]);
      const errors = samples[concurrency].reduce((total, sample) => total + sample.errors, 0);
      console.log(
        `| ${concurrency} | ${(ms / 1000).toFixed(1)} s | ${((studentExercises / ms) * 60_000).toFixed(1)} | ${(ms / base).toFixed(2)}${concurrency === 2 ? ' (target <= 0.65)' : ''} | ${errors} |`,
      );
    }
    return samples;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
