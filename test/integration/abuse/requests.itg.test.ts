// Abuse from a student's script and from a student's compose file, on the real engine, through
// grade(): each request that would reach the host (privileges, host namespaces, the host's
// files, the Docker socket, devices, extra capabilities) is refused by the grader's policy
// proxy, nothing of it runs, and the refusal is in the graded report.
import { afterAll, describe, expect, it } from 'vitest';
import { gradeInline, leftovers, removeTempDirs, summary } from '../../support/inline-grading';

const runIds: string[] = [];

afterAll(async () => {
  removeTempDirs();
  // The suite leaves nothing labelled with its runs' ids.
  for (const runId of runIds) expect(await leftovers(runId)).toEqual([]);
});

function exercise(id: string, step: string): string {
  return `version: 1\nid: abuse/${id}\ntitle: ${id}\nsteps:\n  - ${step}\nchecks:\n  - name: evil never ran\n    container: { name: evil }\n    expect: { exists: false }\n`;
}

interface Abuse {
  what: string;
  /** docker run options of the script. */
  options: string;
  /** The same request as a compose service's keys. */
  service: string;
  /** What the refusal says. */
  refusal: RegExp;
}

const ABUSES: Abuse[] = [
  { what: '--privileged', options: '--privileged', service: 'privileged: true', refusal: /privileged/i },
  {
    what: '-v /:/host',
    options: '-v /:/host',
    service: 'volumes: ["/:/host"]',
    refusal: /bind|mount|submission/i,
  },
  {
    what: '-v /var/run/docker.sock:/s',
    options: '-v /var/run/docker.sock:/s',
    service: 'volumes: ["/var/run/docker.sock:/s"]',
    refusal: /docker\.sock|socket|submission/i,
  },
  { what: '--pid host', options: '--pid host', service: 'pid: host', refusal: /pid|namespace/i },
  {
    what: '--network host',
    options: '--network host',
    service: 'network_mode: host',
    refusal: /host network|network.*host|namespace/i,
  },
  {
    what: '--cap-add SYS_ADMIN',
    options: '--cap-add SYS_ADMIN',
    service: 'cap_add: [SYS_ADMIN]',
    refusal: /SYS_ADMIN/,
  },
  {
    what: '--device',
    options: '--device /dev/null:/dev/xnull',
    service: 'devices: ["/dev/null:/dev/xnull"]',
    refusal: /device/i,
  },
];

describe.concurrent('a student script asking for the host', () => {
  it.each(ABUSES)('refuses $what, with the reason in the report', async (abuse) => {
    const graded = await gradeInline(
      exercise(`script-${abuse.what.toLowerCase().replace(/[^a-z]+/g, '-')}`, 'script: { file: run.sh }'),
      {
        'run.sh': `set -e\ndocker run --rm --name evil ${abuse.options} busybox echo ESCAPED\necho AFTER\n`,
      },
      { prefix: 'abs' },
    );
    runIds.push(graded.runId);
    const error = graded.exercise.setupError ?? '';
    expect(error, summary(graded)).toMatch(
      /^run\.sh exited with code \d+, expected exit code 0; refused by the grader: /,
    );
    expect(error.slice(error.indexOf('refused by the grader: '))).toMatch(abuse.refusal);
    // The docker CLI printed the same refusal in the student's output.
    expect(graded.exercise.setupLog).toMatch(abuse.refusal);
    const output = graded.log.filter((line) => line.startsWith('| ')).join('\n');
    expect(output).not.toMatch(/ESCAPED|AFTER/);
    // Observed on the engine while the exercise's resources still existed.
    expect(graded.statuses['evil never ran'], summary(graded)).toBe('pass');
  });
});

describe.concurrent('a student compose file asking for the host', () => {
  it.each(ABUSES)('refuses $what, with the reason in the report', async (abuse) => {
    const graded = await gradeInline(
      exercise(`compose-${abuse.what.toLowerCase().replace(/[^a-z]+/g, '-')}`, 'compose: {}'),
      {
        'compose.yaml': `services:\n  evil:\n    image: busybox\n    command: ["sh", "-c", "echo ESCAPED; sleep 300"]\n    ${abuse.service}\n`,
      },
      { prefix: 'abc' },
    );
    runIds.push(graded.runId);
    const error = graded.exercise.setupError ?? '';
    expect(error, summary(graded)).toMatch(
      /^docker compose up failed with exit code \d+ \(compose\.yaml\); refused by the grader: /,
    );
    expect(error.slice(error.indexOf('refused by the grader: '))).toMatch(abuse.refusal);
    expect(graded.log.join('\n')).not.toMatch(/ESCAPED/);
    // Observed on the engine while the exercise's resources still existed.
    expect(graded.statuses['evil never ran'], summary(graded)).toBe('pass');
  });
});
