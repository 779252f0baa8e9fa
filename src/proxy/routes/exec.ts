// Exec instances (docker exec): start, resize, inspect. Creating one is a container route.
import { declare, objectRoute, type RouteDeclaration } from './types';

const exec = objectRoute('exec', 'id');

export const EXEC_ROUTES: readonly RouteDeclaration[] = [
  declare('POST', '/exec/{id}/start', exec('start'), {
    body: 'json',
    jsonKeys: ['Detach', 'Tty', 'ConsoleSize'],
  }),
  declare('POST', '/exec/{id}/resize', exec('resize'), { query: { h: 'int', w: 'int' } }),
  declare('GET', '/exec/{id}/json', exec('json')),
];
