import { remainingMs } from '../../run/context';
import { hostPortOf, runningContainer } from '../../run/resolve';
import { describeHttpError, type HttpRequest } from '../../shared/http-request';
import { LIMITS, timeoutMs } from '../../spec/duration';
import { textValues } from '../../spec/values';
import type { CheckDefinition } from '../check';

export const httpCheck: CheckDefinition<'http'> = {
  kind: 'http',
  async observe(target, context) {
    const container = await runningContainer(target.container, context);
    if ('failure' in container) return container;
    const hostPort = hostPortOf(container, target.port);
    if (hostPort === undefined) {
      return { failure: { message: `port ${target.port} of "${target.container}" is not published` } };
    }
    const method = target.method ?? 'GET';
    const path = target.path ?? '/';
    const request: HttpRequest = {
      host: '127.0.0.1',
      port: hostPort,
      path,
      method,
      headers: textValues(target.headers),
      body: target.body,
      timeoutMs: remainingMs(context, timeoutMs(target.timeout, LIMITS.http)),
    };
    try {
      const response = await context.http(request);
      // Header names are case-insensitive; exercises name them in lower case.
      const headers = Object.fromEntries(
        Object.entries(response.headers).map(([name, value]) => [name.toLowerCase(), value]),
      );
      return { facts: { status: response.status, headers, body: response.body } };
    } catch (error) {
      return {
        failure: {
          message: `${method} ${path} on port ${target.port} got no answer: ${describeHttpError(error)}`,
        },
      };
    }
  },
};
