// Spec values as the engine takes them. Shared by every step and check that runs a command or
// passes a map of values on.
import type { Command, StringMap } from './types';

/** A command's argv: a list as written (exec form), a string run with /bin/sh -c. */
export function commandArgv(command: Command): string[] {
  return typeof command === 'string' ? ['/bin/sh', '-c', command] : command;
}

/** A map's values as text: YAML gives numbers and booleans where env, args and headers hold text. */
export function textValues(values: StringMap | undefined): Record<string, string> | undefined {
  return values && Object.fromEntries(Object.entries(values).map(([key, value]) => [key, String(value)]));
}
