// Step matchers and sequences on real-world spellings: what students write for "copy the
// requirements, install them, then copy the code", right and wrong.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceIncludes } from '../../../src/dockerfile/copy-sources';
import { SequenceFact } from '../../../src/dockerfile/judges';
import { dockerfileMeaning } from '../../../src/dockerfile/meaning';
import { stepMatches } from '../../../src/dockerfile/step-matchers';
import { loadExercise } from '../../../src/spec/load';
import type { Matcher, StepMatcher, StepSequence } from '../../../src/spec/types';

/** Does some instruction of the Dockerfile's last stage do what the matcher says? */
function does(dockerfile: string, matcher: StepMatcher): boolean {
  const meaning = dockerfileMeaning(dockerfile);
  const stage = meaning.stages.at(-1);
  return (stage?.instructions ?? []).some((instruction) => stepMatches(instruction, matcher, meaning.stages));
}

function sequence(dockerfile: string, steps: StepSequence) {
  return new SequenceFact(dockerfileMeaning(dockerfile)).compareWith(steps as Matcher);
}

const FROM = 'FROM python:3.11-slim\nWORKDIR /app\n';

describe('installs: pip', () => {
  const installs = { installs: 'pip', requirements: 'requirements.txt' } as const;
  it.each([
    'RUN pip install -r requirements.txt',
    'RUN pip3 install -r requirements.txt',
    'RUN python -m pip install -r requirements.txt',
    'RUN python3 -m pip install -r requirements.txt',
    'RUN python3.11 -m pip install --requirement requirements.txt',
    'RUN /usr/local/bin/pip install -r requirements.txt',
    'RUN pip install --no-cache-dir -r requirements.txt',
    'RUN pip install -r requirements.txt --no-cache-dir',
    'RUN pip --no-cache-dir install -r ./requirements.txt',
    'RUN pip install --requirement=requirements.txt',
    'RUN pip install -rrequirements.txt',
    'RUN pip install -r /app/requirements.txt',
    'RUN pip install --upgrade pip && pip install -r requirements.txt',
    'RUN apt-get update; pip install -r requirements.txt || exit 1',
    'RUN PIP_NO_CACHE_DIR=1 pip install -r requirements.txt',
    'RUN --mount=type=cache,target=/root/.cache pip install -r requirements.txt',
    'RUN ["python3", "-m", "pip", "install", "-r", "requirements.txt"]',
    'RUN ["pip", "install", "--no-cache-dir", "-r", "requirements.txt"]',
    'RUN ["/bin/sh", "-c", "pip install -r requirements.txt"]',
    'RUN sh -c "pip install -r requirements.txt"',
    'RUN pip install \\\n    --no-cache-dir \\\n    -r requirements.txt',
    'RUN <<EOF\nset -e\npip install -r requirements.txt\nEOF',
    'run PIP install -r requirements.txt'.replace('PIP', 'pip'),
  ])('%s', (line) => {
    expect(does(`${FROM}COPY requirements.txt .\n${line}\n`, installs)).toBe(true);
  });

  it.each([
    ['no install at all', 'RUN echo pip install -r requirements.txt'],
    ['a comment', 'RUN true # pip install -r requirements.txt'],
    ['pip but not install', 'RUN pip freeze > requirements.txt'],
    ['another requirements file', 'RUN pip install -r requirements-dev.txt'],
    ['packages named, not the file', 'RUN pip install flask'],
    ['python running a script', 'RUN python3 setup.py install'],
    ['pip download', 'RUN python3 -m pip download -r requirements.txt'],
  ])('not %s', (_why, line) => {
    expect(does(`${FROM}${line}\n`, installs)).toBe(false);
  });

  it('recognises the other package managers', () => {
    expect(
      does(`${FROM}RUN apt-get update && apt-get install -y --no-install-recommends curl\n`, {
        installs: 'apt',
      }),
    ).toBe(true);
    expect(does(`${FROM}RUN apt -o Acquire::Retries=3 install curl\n`, { installs: 'apt' })).toBe(true);
    expect(does(`${FROM}RUN apk add --no-cache curl\n`, { installs: 'apk' })).toBe(true);
    expect(does(`${FROM}RUN npm ci --omit=dev\n`, { installs: 'npm' })).toBe(true);
    expect(does(`${FROM}RUN apt-get update\n`, { installs: 'apt' })).toBe(false);
    expect(does(`${FROM}RUN pip install flask\n`, { installs: 'apt' })).toBe(false);
  });
});

describe('copies', () => {
  // Spellings that copy requirements.txt from the build context, and lookalikes that do not.
  const copying = [
    'COPY requirements.txt .',
    'COPY requirements.txt ./',
    'COPY ./requirements.txt /code/requirements.txt',
    'COPY /requirements.txt /app/',
    'COPY --chown=nobody:nogroup requirements.txt ./',
    'COPY --chmod=644 --chown=1000 requirements.txt .',
    'ADD requirements.txt .',
    'COPY ["requirements.txt", "./"]',
    'COPY requirements.txt app.py ./',
    'COPY *.txt ./',
    'COPY requirements* ./',
    'COPY . .',
    'COPY ./ /app/',
    'copy requirements.txt .',
  ];
  const notCopying = [
    'COPY app.py .',
    'COPY requirements-dev.txt .',
    'COPY *.py ./',
    'COPY --from=builder /app/requirements.txt .',
    'COPY <<EOF requirements.txt\nflask\nEOF',
    'ADD https://example.com/requirements.txt .',
    'RUN cp /tmp/requirements.txt .',
  ];
  it.each([
    ...copying.map((line) => [line, true] as const),
    ...notCopying.map((line) => [line, false] as const),
  ])('%s copies requirements.txt from the context: %s', (line, copies) => {
    expect(does(`${FROM}${line}\n`, { copies: 'requirements.txt' })).toBe(copies);
  });

  it('sees a file inside a copied folder, and wildcards segment by segment', () => {
    expect(sourceIncludes('src', 'src/app.py')).toBe(true);
    expect(sourceIncludes('src', 'srcs/app.py')).toBe(false);
    expect(sourceIncludes('s*', 'src/app.py')).toBe(true);
    expect(sourceIncludes('*.py', 'src/app.py')).toBe(false);
    expect(sourceIncludes('app.p[xy]', 'app.py')).toBe(true);
    expect(does(`${FROM}COPY src/ /app/src/\n`, { copies: 'src/app.py' })).toBe(true);
    expect(does(`${FROM}COPY src/ /app/src/\n`, { copies: './src/' })).toBe(true);
  });
});

describe('copiesFrom', () => {
  const stages = 'FROM python:3.11-slim AS builder\nRUN python3 build.py /src/public\nFROM busybox:latest\n';
  it.each([
    ['COPY --from=builder /src/public /www', 'builder'],
    ['COPY --from=0 /src/public /www', 'builder'],
    ['COPY --chown=nobody:nogroup --from=0 /src/public /www', 'builder'],
    ['COPY --from=BUILDER /src/public /www', 'builder'],
    ['COPY --from=builder /src/public /www', 0],
    ['COPY --chown=nobody:nogroup --from=0 /src/public/ /www/', true],
  ] as const)('%s copies from %s', (line, from) => {
    expect(does(`${stages}${line}\n`, { copiesFrom: from })).toBe(true);
    expect(does(`${stages}${line}\n`, { copiesFrom: from, copies: '/src/public/index.html' })).toBe(true);
  });

  it('tells stages and images apart', () => {
    expect(does(`${stages}COPY --from=nginx:latest /etc/nginx /etc/nginx\n`, { copiesFrom: true })).toBe(
      false,
    );
    expect(
      does(`${stages}COPY --from=nginx:latest /etc/nginx /etc/nginx\n`, { copiesFrom: 'nginx:latest' }),
    ).toBe(true);
    expect(does(`${stages}COPY --from=builder /src/public /www\n`, { copiesFrom: 'other' })).toBe(false);
    expect(
      does(`${stages}COPY --from=builder /src /www\n`, { copiesFrom: 'builder', copies: '/src/public' }),
    ).toBe(true);
    expect(
      does(`${stages}COPY --from=builder /src/public /www\n`, { copiesFrom: 'builder', copies: '/src' }),
    ).toBe(false);
    expect(does(`${stages}COPY public /www\n`, { copiesFrom: 'builder' })).toBe(false);
  });
});

describe('copiesFrom: true is any earlier stage', () => {
  it.each([
    [
      'by number, the stage called build',
      'FROM python:3.11-slim AS build\nRUN x\nFROM busybox:latest\n',
      '--from=0',
    ],
    [
      'by name, the stage called build',
      'FROM python:3.11-slim AS build\nRUN x\nFROM busybox:latest\n',
      '--from=build',
    ],
    ['by number, an unnamed stage', 'FROM python:3.11-slim\nRUN x\nFROM busybox:latest\n', '--from=0'],
    ['the second of three stages', 'FROM a AS one\nFROM b AS two\nFROM busybox:latest\n', '--from=1'],
  ])('%s', (_why, stages, flag) => {
    expect(does(`${stages}COPY ${flag} /src/public /www\n`, { copiesFrom: true })).toBe(true);
  });

  it('is not the stage being built, nor a later one, nor an image', () => {
    const stages = 'FROM python:3.11-slim AS build\nRUN x\nFROM busybox:latest AS runtime\n';
    expect(does(`${stages}COPY --from=1 /src /www\n`, { copiesFrom: true })).toBe(false);
    expect(does(`${stages}COPY --from=runtime /src /www\n`, { copiesFrom: true })).toBe(false);
    expect(does(`${stages}COPY --from=2 /src /www\n`, { copiesFrom: true })).toBe(false);
    expect(does(`${stages}COPY --from=python:3.11-slim /src /www\n`, { copiesFrom: true })).toBe(false);
  });

  it('a stage the spec names explicitly is that stage only', () => {
    const stages = 'FROM python:3.11-slim AS build\nRUN x\nFROM busybox:latest\n';
    expect(does(`${stages}COPY --from=0 /src /www\n`, { copiesFrom: 'builder' })).toBe(false);
    expect(does(`${stages}COPY --from=0 /src /www\n`, { copiesFrom: 'build' })).toBe(true);
  });

  it("grades the pack's multi-stage exercise by meaning: a stage called build, copied --from=0", async () => {
    const exercise = await loadExercise(
      path.resolve(__dirname, '../../../exercises/images/multi-stage/exercise.yaml'),
    );
    const check = exercise.spec.checks.find(
      (one) => 'dockerfile' in one && one.expect?.sequence !== undefined,
    );
    const steps = check?.expect?.sequence as StepSequence | undefined;
    expect(steps).toBeDefined();
    const dockerfile =
      'FROM python:3.11-slim AS build\nWORKDIR /site\nCOPY . .\nRUN python3 build.py out\n' +
      'FROM busybox:latest\nCOPY --from=0 /site/out /www\nUSER nobody\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n';
    expect(sequence(dockerfile, steps as StepSequence).pass).toBe(true);
    // ... and a runtime stage that copies from the python image itself still fails.
    const fromImage = dockerfile.replace('--from=0', '--from=python:3.11-slim');
    expect(sequence(fromImage, steps as StepSequence).pass).toBe(false);
  });
});

describe('workdir', () => {
  it.each(['WORKDIR /code', 'WORKDIR /code/', 'WORKDIR /code/.', 'WORKDIR /\nWORKDIR code'])('%s', (line) => {
    expect(does(`FROM python:3.11-slim\n${line}\n`, { workdir: '/code' })).toBe(true);
    expect(does(`FROM python:3.11-slim\n${line}\n`, { workdir: '/code/' })).toBe(true);
  });
  it('is not another directory', () => {
    expect(does('FROM python:3.11-slim\nWORKDIR /code/app\n', { workdir: '/code' })).toBe(false);
  });
});

describe('sequence: dependencies are installed before the code is copied', () => {
  const steps: StepMatcher[] = [
    { copies: 'requirements.txt' },
    { installs: 'pip', requirements: 'requirements.txt' },
    { copies: 'app.py' },
  ];

  it.each([
    ['the reference', 'COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .'],
    ['python3 -m pip', 'COPY requirements.txt .\nRUN python3 -m pip install -r requirements.txt\nCOPY . .'],
    [
      'absolute paths',
      'COPY ./requirements.txt /app/requirements.txt\nRUN pip install --no-cache-dir -r /app/requirements.txt\nCOPY ./ /app/',
    ],
    ['only app.py copied', 'COPY requirements.txt .\nRUN pip3 install -r requirements.txt\nCOPY app.py .'],
    [
      'pip upgraded first',
      'RUN pip install --upgrade pip\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .',
    ],
    ['ADD, exec form', 'ADD requirements.txt .\nRUN ["pip", "install", "-r", "requirements.txt"]\nCOPY . .'],
    [
      'other instructions between',
      'COPY requirements.txt .\nENV PIP_NO_CACHE_DIR=1\nRUN pip install -r requirements.txt\nEXPOSE 8080\nCOPY . .',
    ],
  ])('passes %s', (_why, body) => {
    const result = sequence(`${FROM}${body}\nCMD ["python3", "app.py"]\n`, steps);
    expect(result.actual).not.toMatch(/before|no instruction/);
    expect(result.pass).toBe(true);
  });

  it.each([
    [
      'pip install after copying the code',
      'COPY . .\nRUN pip install -r requirements.txt',
      /first copies app.py at line 3/,
    ],
    [
      'COPY . . then COPY requirements.txt .',
      'COPY . .\nCOPY requirements.txt .\nRUN pip install -r requirements.txt',
      /first copies app.py at line 3: COPY \. \., before installs with pip from requirements.txt at line 5/,
    ],
    [
      'the code copied before the install and again after it',
      'COPY . .\nRUN pip install -r requirements.txt\nCOPY . .',
      /first copies app.py at line 3: COPY \. \./,
    ],
    [
      'requirements and code in one COPY',
      'COPY requirements.txt app.py ./\nRUN pip install -r requirements.txt',
      /first copies app.py at line 3: COPY requirements.txt app.py \.\/, before installs/,
    ],
    [
      'no install',
      'COPY requirements.txt .\nCOPY . .',
      /no instruction installs with pip from requirements.txt/,
    ],
    [
      'install before its requirements are copied',
      'RUN pip install -r requirements.txt\nCOPY requirements.txt .\nCOPY . .',
      /first installs with pip from requirements.txt at line 3/,
    ],
  ])('fails %s', (_why, body, why) => {
    const result = sequence(`${FROM}${body}\nCMD ["python3", "app.py"]\n`, steps);
    expect(result.pass).toBe(false);
    expect(result.actual).toMatch(why);
    expect(result.expected).toBe(
      'in the last stage, in this order: copies requirements.txt, then installs with pip from requirements.txt, then copies app.py',
    );
  });

  it('judges the stage it is given, by name or number', () => {
    const text = `FROM python:3.11-slim AS deps\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nFROM busybox:latest\nCOPY --from=deps /app /app\n`;
    expect(sequence(text, { stage: 'deps', steps }).pass).toBe(true);
    expect(sequence(text, { stage: 0, steps }).pass).toBe(true);
    expect(sequence(text, steps).pass).toBe(false);
    expect(sequence(text, { stage: 'nope', steps })).toMatchObject({
      pass: false,
      actual: 'no stage nope (stages: deps, 1)',
    });
  });
});
