// The `copy` step: files from the submission or another container into a container (docker cp).
import { refusal } from '../../run/context';
import { objectOf, ref, required, typed } from '../../spec/json-schema';
import { existingContainer } from '../container-ref';
import { submissionPath } from '../paths';
import { defineStep } from '../step';

/** A path in a container (`definitions.containerPath`). */
type ContainerPath = { container: string; path: string };

export const copyStep = defineStep('copy', {
  schema: objectOf('Copies a submission file or folder, or a container path, into a container.', {
    from: required(
      typed<string | ContainerPath>({
        description: 'A submission path, or {container, path}.',
        oneOf: [ref('relativePath'), ref('containerPath')],
      }),
    ),
    to: required(typed<ContainerPath>(ref('containerPath', 'A folder in a container.'))),
  }),
  validate(step, rules) {
    if (typeof step.from === 'string') rules.relativePath(['from'], step.from);
    else rules.container(['from', 'container'], step.from.container);
    rules.container(['to', 'container'], step.to.container);
  },
  describe: (step) => {
    const from = typeof step.from === 'string' ? step.from : `${step.from.container}:${step.from.path}`;
    return `copy ${from} to ${step.to.container}:${step.to.path}`;
  },
  async run(step, context) {
    // Containers need not be running: the archive API reads and writes stopped ones too.
    const to = await existingContainer(step.to.container, context);
    if ('failure' in to) return to.failure;
    const target = `${step.to.container}:${step.to.path}`;
    if (typeof step.from === 'string') {
      const source = await submissionPath(context.submissionDir, step.from, 'copy source');
      if ('failure' in source) return source.failure;
      try {
        await context.engine.copyInto(to.id, source.path, step.to.path);
      } catch (error) {
        return refusal(`${step.from} could not be copied to ${target}`, error);
      }
      return undefined;
    }
    const from = await existingContainer(step.from.container, context);
    if ('failure' in from) return from.failure;
    try {
      await context.engine.copyBetween(from.id, step.from.path, to.id, step.to.path);
    } catch (error) {
      return refusal(`${step.from.container}:${step.from.path} could not be copied to ${target}`, error);
    }
    return undefined;
  },
});

/** A missing path or folder, or a source the engine refuses to pack, is the student's to fix. */
