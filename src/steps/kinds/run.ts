// The `run` step: a container started as `docker run` would, with the grader's hardened defaults.
import path from 'node:path';
import { enumOf, objectOf, ref, required, text, typed } from '../../spec/json-schema';
import type { NetworkAttachmentSpec, VolumeMount } from '../../spec/types';
import { refused } from '../container-ref';
import { waitUntilReady } from '../readiness';
import { containerRequest } from '../run-request';
import { defineStep, type StepBody } from '../step';

export const runStep = defineStep('run', {
  schema: objectOf('Starts a container from a built image (by step name) or a local image reference.', {
    name: required(ref('name')),
    image: required(text("A build step's name, or an image reference.")),
    command: ref('command'),
    entrypoint: typed<string[]>({ type: 'array', items: { type: 'string' } }),
    env: ref('stringMap'),
    ports: typed<number[]>({
      type: 'array',
      items: ref('port'),
      uniqueItems: true,
      description: 'Container ports published on 127.0.0.1 with ephemeral host ports.',
    }),
    volumes: typed<VolumeMount[]>({ type: 'array', items: ref('volumeMount') }),
    networks: typed<NetworkAttachmentSpec[]>({
      type: 'array',
      items: ref('networkAttachment'),
      description: 'Network step names (or existing networks), with aliases.',
    }),
    restart: enumOf(['no', 'always', 'unless-stopped', 'on-failure']),
    user: text(),
    workdir: text(),
    hostname: text(),
    healthcheck: objectOf({
      test: required(ref('command')),
      interval: ref('duration'),
      timeout: ref('duration'),
      retries: typed<number>({ type: 'integer', minimum: 1 }),
      startPeriod: ref('duration'),
    }),
    wait: ref('wait'),
  }),
  validate(step, rules) {
    rules.uniqueName(['name'], step.name);
    rules.declare({ run: step });
    (step.volumes ?? []).forEach((volume, index) => {
      const source = typeof volume === 'string' ? (volume.split(':')[0] ?? '') : volume.source;
      const isBind =
        typeof volume === 'string' ? /^[./]/.test(source) : volume.type === 'bind' || /^[./]/.test(source);
      if (!isBind) return;
      const where = typeof volume === 'string' ? ['volumes', index] : ['volumes', index, 'source'];
      if (path.posix.isAbsolute(source)) {
        rules.problem(where, `bind mount source "${source}" must be a folder of the submission, like ./html`);
      } else rules.relativePath(where, source);
    });
    (step.networks ?? []).forEach((network, index) => {
      if (typeof network === 'string') rules.network(['networks', index], network);
      else rules.network(['networks', index, 'name'], network.name);
    });
    rules.wait(['wait'], step.wait, step.ports ?? []);
  },
  describe: (step) => `run container "${step.name}" from ${step.image}`,
  async run(step, context) {
    const image = context.resources.images.resolve(step.image);
    if ((await context.engine.inspectImage(image)) === undefined) {
      return {
        message: `image "${step.image}" is not available (no build step made it and it is not on the engine)`,
      };
    }
    const request = await containerRequest(step, image, context);
    if ('failure' in request) return request.failure;
    let id: string;
    try {
      id = await context.engine.createContainer(request);
    } catch (error) {
      return refused('be created', step.name, error);
    }
    context.resources.containers.add(step.name, {
      id,
      name: request.name,
      ports: step.ports ?? [],
      request,
      wait: step.wait,
    });
    try {
      // A container binding the submission starts with the run's containers paused and its
      // sources checked unchanged (DockerEngine.startContainer, bind-writers.ts).
      await context.engine.startContainer(id);
    } catch (error) {
      return refused('start', step.name, error);
    }
    return step.wait ? waitUntilReady(step.name, id, step.wait, context) : undefined;
  },
});

export type RunStep = StepBody<typeof runStep>;
