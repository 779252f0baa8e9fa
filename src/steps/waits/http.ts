// `http: { port, path, status }`: a GET on the published port answers the status (default: below 500).
import { hostPortOf } from '../../run/resolve';
import { describeHttpError } from '../../shared/http-request';
import { objectOf, pattern, ref, required, typed } from '../../spec/json-schema';
import type { WaitDefinition } from './definition';
import { notPublished, unpublishedPending } from './published';

export const httpWait: WaitDefinition<'http'> = {
  key: 'http',
  schema: objectOf({
    port: required(ref('port')),
    path: pattern('^/'),
    status: typed<number>({
      type: 'integer',
      minimum: 100,
      maximum: 599,
      description: 'Default: any status below 500.',
    }),
  }),
  validate(value, rules) {
    rules.published(['port'], value.port);
  },
  of(probe) {
    const path = probe.path ?? '/';
    const status = probe.status === undefined ? 'a status below 500' : `status ${probe.status}`;
    return {
      expected: `GET ${path} on port ${probe.port} answers ${status}`,
      checkState: (state) => unpublishedPending(probe.port, state),
      async probe(state, context, timeoutMs) {
        const hostPort = hostPortOf(state, probe.port);
        if (hostPort === undefined) return notPublished(probe.port);
        try {
          const response = await context.http({
            host: '127.0.0.1',
            port: hostPort,
            path,
            timeoutMs,
            maxBodyBytes: 1024,
          });
          const ready = probe.status === undefined ? response.status < 500 : response.status === probe.status;
          return ready ? undefined : `GET ${path} on port ${probe.port} answered ${response.status}`;
        } catch (error) {
          return `GET ${path} on port ${probe.port}: ${describeHttpError(error)}`;
        }
      },
    };
  },
};
