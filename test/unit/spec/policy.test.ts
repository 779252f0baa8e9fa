// The exercise's `policy:` key (contract 3): what students' docker commands may do beyond the
// hardened defaults, validated by the schema and the semantic rules, and handed to the gate.
import { describe, expect, it } from 'vitest';
import { parseExercise } from '../../../src/spec/load';
import { sandboxPolicy } from '../../../src/steps/engine-gate';
import { specErrorOf } from '../../support/spec-errors';

function exercise(policy: string, steps = '  - script: { file: run.sh }\n'): string {
  return `version: 1\nid: t/policy\ntitle: policy\n${policy}\nsteps:\n${steps}checks:\n  - name: c\n    container: { name: web }\n    expect: { running: true }\n`;
}

function problem(yaml: string): string {
  return specErrorOf(yaml).message;
}

describe('policy', () => {
  it('gives the gate the capabilities and the port rule the exercise allows', () => {
    const { spec } = parseExercise(
      exercise('policy: { capabilities: [NET_RAW, MKNOD], publicPorts: true }'),
      'e.yaml',
    );
    expect(sandboxPolicy(spec.policy)).toEqual({
      extraCapabilities: ['NET_RAW', 'MKNOD'],
      publicPorts: true,
    });
  });

  it('defaults to nothing beyond the hardened profile', () => {
    const { spec } = parseExercise(exercise(''), 'e.yaml');
    expect(sandboxPolicy(spec.policy)).toEqual({ extraCapabilities: [], publicPorts: false });
  });

  it('refuses capabilities outside Docker’s default set, with where', () => {
    const message = problem(exercise('policy: { capabilities: [SYS_ADMIN] }'));
    expect(message).toMatch(/exercise\.yaml:4/);
    expect(message).toMatch(/policy\.capabilities\[0\]|policy\/capabilities\/0/);
  });

  it('refuses unknown keys and a policy that nothing would use', () => {
    expect(problem(exercise('policy: { privileged: true }'))).toMatch(/privileged/);
    expect(
      problem(exercise('policy: { publicPorts: true }', '  - run: { name: web, image: nginx }\n')),
    ).toMatch(
      /policy applies to the docker commands of script and compose steps, and this exercise has none/,
    );
  });
});
