// `log: <regex>` or `log: { matches, count }`: enough output lines (stdout and stderr) match.
import { objectOf, required, text, typed } from '../../spec/json-schema';
import { plural } from '../text';
import type { WaitDefinition } from './definition';

/** At most this much of the log is read, however much the container wrote. */
const LOG_BYTES = 256 * 1024;
/** A readiness line is looked for among the latest lines, so a flood before it cannot hide it. */
const WAIT_LOG_LINES = 5000;

export const logWait: WaitDefinition<'log'> = {
  key: 'log',
  schema: {
    description: 'A regular expression some output line must match, or {matches, count}.',
    oneOf: [
      text(),
      objectOf({ matches: required(text()), count: typed<number>({ type: 'integer', minimum: 1 }) }),
    ],
  },
  validate(value, rules) {
    if (typeof value === 'string') rules.regex([], value);
    else rules.regex(['matches'], value.matches);
  },
  of(value) {
    const source = typeof value === 'string' ? value : value.matches;
    const count = typeof value === 'string' ? 1 : (value.count ?? 1);
    const pattern = new RegExp(source);
    return {
      expected:
        count === 1
          ? `an output line matches /${source}/`
          : `at least ${count} output lines match /${source}/`,
      async checkOutput(containerId, context) {
        const logs = await context.engine.logs(containerId, {
          maxBytes: LOG_BYTES,
          tailLines: WAIT_LOG_LINES,
        });
        const matched = countMatchingLines(`${logs.stdout}\n${logs.stderr}`, pattern);
        if (matched >= count) return undefined;
        return {
          reason:
            count === 1
              ? `no output line matched /${source}/`
              : `${plural(matched, 'output line')} matched /${source}/, expected at least ${count}`,
        };
      },
    };
  },
};

export function countMatchingLines(text: string, pattern: RegExp): number {
  let count = 0;
  for (const line of text.split(/\r?\n/)) if (pattern.test(line)) count += 1;
  return count;
}
