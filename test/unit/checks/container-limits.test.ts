// The container check's memory, pidsLimit and pidMode facts: sizes as `docker run -m` writes
// them, and the PID namespace by the names the student knows.
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/checks/evaluate';
import { containerCheck } from '../../../src/checks/kinds/container';
import { MemoryFact, memoryBytes } from '../../../src/checks/memory-fact';
import { SCOPE_LABEL, STUDENT_NAME_LABEL } from '../../../src/naming/labels';
import { resourceName } from '../../../src/naming/resource-names';
import type { CheckSpec } from '../../../src/spec/types';
import { contextOn, RecordingEngine, SCOPE } from '../../support/unit-checks';

const MIB = 1024 * 1024;

describe('memory sizes', () => {
  it.each([
    ['512m', 512 * MIB],
    ['64M', 64 * MIB],
    ['1g', 1024 * MIB],
    ['100k', 100 * 1024],
    ['4096', 4096],
    ['64MiB', 64 * MIB],
    ['50MB', 50_000_000],
    [' 1.5g ', 1.5 * 1024 * MIB],
  ])('%s is %d bytes', (size, bytes) => {
    expect(memoryBytes(size)).toBe(bytes);
  });

  it('a duration or words are no size', () => {
    expect(memoryBytes('30s')).toBeUndefined();
    expect(memoryBytes('lots')).toBeUndefined();
  });

  it('compares the limit with sizes wherever a matcher takes a value', () => {
    const fact = new MemoryFact(64 * MIB);
    expect(fact.compareWith('64m').pass).toBe(true);
    expect(fact.compareWith(64 * MIB).pass).toBe(true);
    expect(fact.compareWith('64MiB').pass).toBe(true);
    expect(fact.compareWith('32m').pass).toBe(false);
    expect(fact.compareWith({ oneOf: ['32m', '64m'] }).pass).toBe(true);
    expect(fact.compareWith({ min: '32m', max: '128m' }).pass).toBe(true);
    expect(fact.compareWith({ max: '32m' }).pass).toBe(false);
    expect(fact.compareWith({ not: 0 }).pass).toBe(true);
    // 512 MB (decimal) is not 512 MiB: a size means what the language says it means.
    expect(new MemoryFact(512 * MIB).compareWith('512MB').pass).toBe(false);
    expect(fact.compareWith('32m').actual).toBe('67108864 (64 MiB)');
    expect(new MemoryFact(0).compareWith({ not: 0 }).actual).toBe('0 (unlimited)');
  });
});

describe('container check: limits and PID namespace', () => {
  it('reports the engine memory and pids limits, and another container of the student by name', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    const limitedId = await engine.createContainer({
      name: resourceName(SCOPE, 'limited'),
      image: 'busybox',
      labels: { [SCOPE_LABEL]: SCOPE, [STUDENT_NAME_LABEL]: 'limited' },
    });
    await engine.startContainer(limitedId);
    const peekId = await engine.createContainer({
      name: resourceName(SCOPE, 'peek'),
      image: 'busybox',
      labels: { [SCOPE_LABEL]: SCOPE, [STUDENT_NAME_LABEL]: 'peek' },
    });
    await engine.startContainer(peekId);
    engine.states.set(limitedId, { memory: 64 * MIB, pidsLimit: 32 });
    // The gate passes the engine name on: the check shows the student's.
    engine.states.set(peekId, { pidMode: `container:${resourceName(SCOPE, 'limited')}` });
    const limited = await containerCheck.observe({ name: 'limited' }, context);
    const peek = await containerCheck.observe({ name: 'peek' }, context);
    const check = (expect: CheckSpec['expect']): CheckSpec => ({
      name: 'c',
      container: { name: 'x' },
      expect,
    });
    expect(evaluate(check({ memory: '64m', pidsLimit: 32, pidMode: '' }), limited).status).toBe('pass');
    expect(evaluate(check({ pidMode: 'container:limited', memory: 0, pidsLimit: 0 }), peek).status).toBe(
      'pass',
    );
    const miss = evaluate(check({ memory: '32m' }), limited);
    expect(miss.status).toBe('fail');
    expect(miss.expected).toBe('equals 33554432');
    expect(miss.actual).toBe('67108864 (64 MiB)');
  });
});
