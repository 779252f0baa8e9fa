// How a failed Docker call is told apart: the daemon's answer (a refusal, usually the student's
// doing) or the engine and the machine failing (an InfraError: status error, exit 3), by the
// error's code or status, or by the daemon's own words.
import { DockerApiError, type InfraFault } from '../shared/errors';
import { isRecord } from '../shared/records';

/** The errno codes of a broken connection to the engine: refused, reset, timed out, unreachable, unresolved. */
export const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** File-system codes that only mean "no daemon" when connecting to its socket, not when reading the context. */
const SOCKET_ERROR_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'ENOTSOCK']);

export function isAlreadyGone(error: unknown): boolean {
  if (!(error instanceof DockerApiError)) return false;
  return error.statusCode === 404 || (error.statusCode === 409 && /already in progress/i.test(error.message));
}

export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (code !== undefined && CONNECTION_ERROR_CODES.has(code)) return true;
  if (code !== undefined && SOCKET_ERROR_CODES.has(code) && syscall === 'connect') return true;
  return /socket hang up/i.test(error.message);
}

export function statusOf(error: unknown): number | undefined {
  if (error instanceof Error && 'statusCode' in error && typeof error.statusCode === 'number') {
    return error.statusCode;
  }
  return undefined;
}

/** docker-modem wraps the daemon's {"message": ...} in "(HTTP code N) reason - message". */
export function daemonMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const json = 'json' in error ? error.json : undefined;
  if (isRecord(json) && typeof json.message === 'string') return json.message;
  if (Buffer.isBuffer(json) && json.length > 0) return json.toString('utf8');
  if (typeof json === 'string' && json !== '') return json;
  return error.message.replace(/^\(HTTP code \d+\)\s*/, '');
}

/**
 * The one place that recognises, in a daemon's error message, a fault of the engine or of its
 * neighbours rather than of the request. Only patterns the daemon itself writes: a network the
 * student named and forgot to create ("network mynet not found") is the student's, the default
 * bridge gone is not.
 */
const FAULT_PATTERNS: ReadonlyArray<readonly [InfraFault, RegExp]> = [
  [
    'api-version',
    /client version \S+ is too (?:new|old)|(?:minimum|maximum) supported API version|client is newer than server/i,
  ],
  ['port-taken', /port is already allocated|address already in use|Bind for \S+ failed/i],
  // 20.10: "could not find bridge docker0"; Engine 25+: "adding interface vethX to bridge br0
  // failed: Device does not exist".
  [
    'bridge-missing',
    /could not find bridge|network bridge not found|bridge \S+ not found|adding interface \S+ to bridge \S+ failed/i,
  ],
  ['unreachable', /Cannot connect to the Docker daemon|Is the docker daemon running\?/i],
];

export function infraFaultIn(daemonMessage: string): InfraFault | undefined {
  return FAULT_PATTERNS.find(([, pattern]) => pattern.test(daemonMessage))?.[0];
}
