// Containers: what docker run/create/start/stop/logs/cp/exec/rm/rename/update/wait/attach and
// compose send (docker CLI 26, compose v2, API 1.41 to 1.45). Checkpoints are refused by name.
import { RESOURCES_FIELDS } from '../fields';
import { CONTAINER_CONFIG_KEYS, declare, objectRoute, type QueryType, type RouteDeclaration } from './types';

const container = objectRoute('container', 'id');

const ATTACH_QUERY: Record<string, QueryType> = {
  logs: 'bool',
  stream: 'bool',
  stdin: 'bool',
  stdout: 'bool',
  stderr: 'bool',
  detachKeys: 'string',
};

/** container.Resources and the restart policy: the body of POST /containers/{id}/update. */
const UPDATE_KEYS: readonly string[] = [...RESOURCES_FIELDS, 'RestartPolicy'];

const CHECKPOINT_REFUSED = { refused: 'checkpoints are not allowed while grading' } as const;

export const CONTAINER_ROUTES: readonly RouteDeclaration[] = [
  declare('GET', '/containers/json', () => ({ kind: 'container-list' }), {
    // trunc_cmd: sent by docker-py (compose v1), ignored by the engine.
    query: { all: 'bool', limit: 'int', size: 'bool', filters: 'json', trunc_cmd: 'bool' },
  }),
  declare('POST', '/containers/create', () => ({ kind: 'container-create' }), {
    query: { name: 'string', platform: 'string' },
    body: 'json',
    // Runtime: docker-py (compose v1) sends it beside the config; the engine reads it from HostConfig only.
    jsonKeys: [...CONTAINER_CONFIG_KEYS, 'HostConfig', 'NetworkingConfig', 'Runtime'],
  }),
  declare('GET', '/containers/{id}/json', container('json'), { query: { size: 'bool' } }),
  declare('GET', '/containers/{id}/top', container('top'), { query: { ps_args: 'string' } }),
  declare('GET', '/containers/{id}/logs', container('logs'), {
    query: {
      follow: 'bool',
      stdout: 'bool',
      stderr: 'bool',
      since: 'string',
      until: 'string',
      timestamps: 'bool',
      tail: 'string',
      details: 'bool',
    },
  }),
  declare('GET', '/containers/{id}/changes', container('changes')),
  declare('GET', '/containers/{id}/export', container('export')),
  declare('GET', '/containers/{id}/stats', container('stats'), {
    query: { stream: 'bool', 'one-shot': 'bool' },
  }),
  declare('GET', '/containers/{id}/archive', container('archive'), { query: { path: 'string' } }),
  declare('HEAD', '/containers/{id}/archive', container('archive'), { query: { path: 'string' } }),
  declare('PUT', '/containers/{id}/archive', container('archive'), {
    query: { path: 'string', noOverwriteDirNonDir: 'bool', copyUIDGID: 'bool' },
    body: 'tar',
  }),
  declare('GET', '/containers/{id}/attach/ws', container('attach/ws'), { query: ATTACH_QUERY }),
  declare('POST', '/containers/{id}/attach', container('attach'), { query: ATTACH_QUERY }),
  declare('POST', '/containers/{id}/start', container('start'), {
    query: { detachKeys: 'string', checkpoint: CHECKPOINT_REFUSED, 'checkpoint-dir': CHECKPOINT_REFUSED },
  }),
  declare('POST', '/containers/{id}/stop', container('stop'), { query: { t: 'int', signal: 'string' } }),
  declare('POST', '/containers/{id}/restart', container('restart'), {
    query: { t: 'int', signal: 'string' },
  }),
  declare('POST', '/containers/{id}/kill', container('kill'), { query: { signal: 'string' } }),
  declare('POST', '/containers/{id}/update', container('update'), { body: 'json', jsonKeys: UPDATE_KEYS }),
  declare('POST', '/containers/{id}/rename', container('rename'), { query: { name: 'string' } }),
  declare('POST', '/containers/{id}/pause', container('pause')),
  declare('POST', '/containers/{id}/unpause', container('unpause')),
  declare('POST', '/containers/{id}/wait', container('wait'), { query: { condition: 'string' } }),
  declare('POST', '/containers/{id}/resize', container('resize'), { query: { h: 'int', w: 'int' } }),
  declare('POST', '/containers/{id}/exec', container('exec'), {
    body: 'json',
    jsonKeys: [
      'AttachStdin',
      'AttachStdout',
      'AttachStderr',
      'ConsoleSize',
      'DetachKeys',
      'Detach',
      'Tty',
      'Env',
      'Cmd',
      'Privileged',
      'User',
      'WorkingDir',
    ],
  }),
  declare('DELETE', '/containers/{id}', container('remove'), {
    query: { v: 'bool', force: 'bool', link: 'bool' },
  }),
];
