// The `http` check: a request to a container's published port, and its status, headers and body.
import { remainingMs } from '../../run/context';
import { hostPortOf, runningContainer } from '../../run/resolve';
import { describeHttpError, type HttpRequest } from '../../shared/http-request';
import { LIMITS, timeoutMs } from '../../spec/duration';
import {
  enumOf,
  expectSchema,
  matcher,
  objectOf,
  pattern,
  ref,
  required,
  typed,
} from '../../spec/json-schema';
import { listOrNone } from '../../spec/rules';
import { textValues } from '../../spec/values';
import { defineCheck } from '../check';

export const httpCheck = defineCheck('http', {
  target: objectOf("Sends an HTTP request to a container's published port.", {
    container: required(ref('containerRef')),
    port: required(ref('port', 'The container port (published by a run step, or by the student).')),
    path: pattern('^/'),
    method: enumOf(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']),
    headers: ref('stringMap'),
    body: typed<string>({ type: 'string' }),
    timeout: ref('duration', 'Default 10s, at most 2m.'),
  }),
  expect: expectSchema({
    status: matcher(),
    headers: ref('matcherMap', 'Header names (lower case) with matchers.'),
    body: matcher(),
  }),
  containerKey: 'container',
  // A request may change what the student's server holds.
  readOnly: false,
  validate(target, rules) {
    const ports = rules.publishedPorts(target.container);
    if (ports !== undefined && !ports.includes(target.port)) {
      rules.problem(
        ['port'],
        `port ${target.port} is not published by run step "${target.container}" (ports: ${listOrNone(ports)})`,
      );
    }
    rules.timeout(['timeout'], target.timeout, LIMITS.http);
  },
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
});
