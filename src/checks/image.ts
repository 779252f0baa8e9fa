import type { CheckDefinition } from './check';

export const imageCheck: CheckDefinition<'image'> = {
  kind: 'image',
  async observe(target, context) {
    const ref = context.resources.imageRef(target.name);
    const image = await context.engine.inspectImage(ref);
    if (image === undefined) {
      return { failure: { message: `image "${target.name}" does not exist` } };
    }
    return {
      facts: {
        user: image.user,
        workdir: image.workdir,
        cmd: image.cmd,
        entrypoint: image.entrypoint,
        exposedPorts: image.exposedPorts,
        env: image.env,
      },
    };
  },
};
