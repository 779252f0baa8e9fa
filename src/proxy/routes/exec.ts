// Exec instances (docker exec): start, resize, inspect. Creating one is a container route.
import { declare, type RouteDeclaration } from './types';

const exec =
  (action: string) =>
  (params: Readonly<Record<string, string>>): ReturnType<RouteDeclaration['route']> => ({
    kind: 'exec',
    execId: params.id ?? '',
    action,
  });

export const EXEC_ROUTES: readonly RouteDeclaration[] = [
  declare('POST', '/exec/{id}/start', exec('start'), {
    body: 'json',
    jsonKeys: ['Detach', 'Tty', 'ConsoleSize'],
  }),
  declare('POST', '/exec/{id}/resize', exec('resize'), { query: { h: 'int', w: 'int' } }),
  declare('GET', '/exec/{id}/json', exec('json')),
];
