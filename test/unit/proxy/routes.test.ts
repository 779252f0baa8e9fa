// Which route a request takes through the policy proxy (src/proxy/routes.ts): kinds, refusals and
// the oldest API version it forwards.
import { describe, expect, it } from 'vitest';
import { routeOf } from '../../../src/proxy/routes';

describe('routes', () => {
  it.each([
    ['GET', '/_ping', 'open'],
    ['HEAD', '/_ping', 'open'],
    ['GET', '/v1.41/version', 'open'],
    ['GET', '/v1.41/containers/json?all=1', 'container-list'],
    ['POST', '/v1.41/containers/create?name=web', 'container-create'],
    ['POST', '/v1.41/containers/web/attach?stream=1', 'container'],
    ['DELETE', '/v1.41/containers/web?force=1', 'container'],
    ['HEAD', '/v1.41/containers/web/archive?path=/x', 'container'],
    ['POST', '/v1.41/exec/abc/start', 'exec'],
    ['GET', '/v1.41/images/library/busybox:latest/json', 'image'],
    ['DELETE', '/v1.41/images/my_app:0.0.1', 'image'],
    ['POST', '/v1.41/build?t=x', 'build'],
    ['POST', '/v1.41/networks/backend/connect', 'network'],
    ['GET', '/v1.41/volumes', 'volume-list'],
    ['GET', '/v1.41/events?since=1', 'events'],
  ])('%s %s is %s', (method, url, kind) => {
    expect(routeOf(method, url).kind).toBe(kind);
  });

  it.each([
    ['POST', '/v1.41/containers/prune', /prune is not allowed/],
    ['POST', '/v1.41/swarm/init', /swarm/],
    ['GET', '/v1.41/secrets', /secrets/],
    ['POST', '/v1.41/plugins/pull', /plugins/],
    ['GET', '/v1.41/system/df', /off limits/],
    ['POST', '/v1.41/images/load', /docker load is not allowed/],
    ['POST', '/v1.41/session', /BuildKit builds are not available under the grader: use `docker build`/],
    ['POST', '/v1.41/grpc', /BuildKit builds are not available under the grader/],
    ['GET', '/v1.41/containers//web/json', /doubled slashes/],
    ['GET', '/v1.41/containers/web/../../info', /dot segments/],
    ['GET', '/v1.41/containers/a%2Fb/json', /encoded separators/],
    ['GET', '/v1.41/unknown/thing', /not an endpoint the grader forwards/],
    ['POST', '/v1.41/containers/web/json', /not allowed/],
  ])('%s %s is refused', (method, url, message) => {
    const route = routeOf(method, url);
    expect(route.kind).toBe('refused');
    expect(route.kind === 'refused' && route.message).toMatch(message);
  });

  it('answers an inspection of a plugin with "not found" (docker inspect tries every kind)', () => {
    expect(routeOf('GET', '/v1.41/plugins/web/json')).toEqual({
      kind: 'refused',
      message: 'plugin web not found',
      status: 404,
    });
  });

  it('takes the image reference with its slashes and tag from the path', () => {
    expect(routeOf('POST', '/v1.41/images/docker-autograder/x:latest/tag?repo=y')).toEqual({
      kind: 'image',
      ref: 'docker-autograder/x:latest',
      action: 'tag',
    });
  });
});

describe('API versions', () => {
  it.each([
    ['/v1.23/containers/web/start', '1.23'],
    ['/v1.12/containers/create', '1.12'],
    ['/v1.39/version', '1.39'],
    ['/v1/containers/json', '1'],
  ])('refuses %s, naming the minimum', (url, version) => {
    const route = routeOf('POST', url);
    expect(route).toEqual({
      kind: 'refused',
      message: expect.stringContaining(
        `client version ${version} is too old. Minimum supported API version is 1.40`,
      ),
      status: 400,
    });
  });

  it.each([
    ['/v1.40/containers/web/start'],
    ['/v1.41/containers/web/start'],
    ['/v1.45/containers/web/start'],
    ['/containers/web/start'],
  ])('forwards %s', (url) => {
    expect(routeOf('POST', url).kind).toBe('container');
  });
});
