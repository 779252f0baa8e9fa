import { describeHttpError } from '../http/request';
import { remainingMs } from '../run/context';
import { LIMITS, timeoutMs } from '../spec/duration';
import type { CheckDefinition } from './check';
import { runningContainer } from './container-ref';

export const httpCheck: CheckDefinition<'http'> = {
  kind: 'http',
  async observe(target, context) {
    const container = await runningContainer(target.container, context);
    if ('failure' in container) return container;
    const state = await context.engine.inspectContainer(container.id);
    const hostPort = state.publishedPorts[`${target.port}/tcp`];
    if (hostPort === undefined) {
      return { failure: { message: `port ${target.port} of "${target.container}" is not published` } };
    }
    const method = target.method ?? 'GET';
    const path = target.path ?? '/';
    try {
      const response = await context.http({
        host: '127.0.0.1',
        port: hostPort,
        path,
        method,
        body: target.body,
        timeoutMs: remainingMs(context, timeoutMs(target.timeout, LIMITS.http)),
      });
      return { facts: { status: response.status, body: response.body, headers: response.headers } };
    } catch (error) {
      return {
        failure: {
          message: `${method} ${path} on port ${target.port} got no answer: ${describeHttpError(error)}`,
        },
      };
    }
  },
};
