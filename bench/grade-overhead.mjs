// Benchmark: how much the grader adds to the Docker work it does. In one session it times
// (a) a baseline of the same work through the docker CLI (create/start a busybox container,
// exec a command in it, remove it) and (b) the bundled CLI grading an exercise that does that
// work, and prints the ratio of the medians. Run: npm run bench [-- ROUNDS]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const rounds = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(path.join(tmpdir(), 'bench-'));
writeFileSync(
  path.join(dir, 'exercise.yaml'),
  [
    'version: 1',
    'id: bench/overhead',
    'title: Grader overhead',
    'steps:',
    '  - run: { name: box, image: busybox, command: sleep 600 }',
    'checks:',
    '  - name: echo',
    '    exec: { container: box, command: [echo, hello] }',
    '    expect: { stdout: hello, exitCode: 0 }',
  ].join('\n'),
);

function time(work) {
  const started = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function baseline() {
  const id = execFileSync('docker', ['run', '-d', 'busybox', 'sleep', '600']).toString().trim();
  execFileSync('docker', ['exec', id, 'echo', 'hello']);
  execFileSync('docker', ['rm', '-f', id]);
}

function graded() {
  execFileSync(process.execPath, ['dist/cli/index.js', 'grade', dir, '--submission', dir, '--quiet'], {
    stdio: 'ignore',
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
// One warm-up of each, so that neither pays for a cold page cache or image layer.
baseline();
graded();
const base = [];
const grade = [];
for (let round = 0; round < rounds; round++) {
  base.push(time(baseline));
  grade.push(time(graded));
}
const b = median(base);
const g = median(grade);
console.log(`rounds: ${rounds}`);
console.log(`docker CLI run+exec+rm (baseline): median ${b.toFixed(0)} ms`);
console.log(
  `docker-autograder grade (same work, plus load, validate, inspect, cleanup, report): median ${g.toFixed(0)} ms`,
);
console.log(`ratio grade/baseline: ${(g / b).toFixed(2)}`);
