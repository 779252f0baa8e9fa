// The name a student knows a container by after `docker rename`: the name label written at create
// cannot change, so it stands only while it still maps to the engine's (scoped) name.
import { describe, expect, it } from 'vitest';
import { runLabels, STUDENT_NAME_LABEL, studentPorts } from '../../../src/naming/labels';
import { currentStudentName, resourceName } from '../../../src/naming/resource-names';
import { VirtualNames } from '../../../src/naming/virtual-names';
import { studentNameOf } from '../../../src/proxy/policy';
import { studentContainerName } from '../../../src/run/resolve';
import { friendlyName } from '../../../src/run/shown';
import { contextOn, RecordingEngine, SCOPE } from '../../support/unit-checks';

const engine = new RecordingEngine();
const ours = runLabels(engine.runId, SCOPE);
const given = (name: string) => ({ ...ours, [STUDENT_NAME_LABEL]: name });

describe('a renamed container', () => {
  const context = contextOn(engine);

  it('keeps the spelling given at create until renamed, then takes the new name', () => {
    expect(currentStudentName(resourceName(SCOPE, 'Web'), 'Web', SCOPE)).toBe('Web');
    expect(currentStudentName(`/${resourceName(SCOPE, 'Web')}`, 'Web', SCOPE)).toBe('Web');
    expect(currentStudentName(resourceName(SCOPE, 'second'), 'first', SCOPE)).toBe('second');
    expect(currentStudentName(`/${resourceName(SCOPE, 'second')}`, 'first', SCOPE)).toBe('second');
    // Renamed outside the gate (out of the scope): the engine's name is not a student's name.
    expect(currentStudentName('elsewhere', 'first', SCOPE)).toBe('first');
  });

  it('is shown to checks by its new name; the grader’s own containers have no student name', () => {
    const renamed = { id: 'abc', name: resourceName(SCOPE, 'second'), labels: given('first') };
    expect(studentContainerName(renamed, context)).toBe('second');
    expect(friendlyName(renamed, context)).toBe('second');
    expect(studentContainerName({ name: resourceName(SCOPE, 'client-1'), labels: ours }, context)).toBe(
      undefined,
    );
    // Another run's or exercise's label says nothing about this exercise's names.
    const foreign = { name: resourceName(SCOPE, 'first'), labels: { [STUDENT_NAME_LABEL]: 'first' } };
    expect(studentContainerName(foreign, context)).toBe(undefined);
  });

  it('is named by its new name in the gate’s messages and network aliases', () => {
    const names = new VirtualNames(SCOPE);
    const labels = { [STUDENT_NAME_LABEL]: 'first' };
    expect(studentNameOf({ name: resourceName(SCOPE, 'first'), labels }, names)).toBe('first');
    expect(studentNameOf({ name: `/${resourceName(SCOPE, 'second')}`, labels }, names)).toBe('second');
    expect(studentNameOf({ name: resourceName(SCOPE, 'second'), labels: {} }, names)).toBeUndefined();
    // Empty: set at create over a LABEL the image would pass on, and read as no name.
    const unnamed = { name: resourceName(SCOPE, 'x'), labels: { [STUDENT_NAME_LABEL]: '' } };
    expect(studentNameOf(unnamed, names)).toBeUndefined();
    expect(studentContainerName({ ...unnamed, labels: given('') }, contextOn(engine))).toBeUndefined();
  });
});

describe('the ports label', () => {
  it('gives the fixed host ports the gate wrote, and nothing for anything else', () => {
    expect(studentPorts('{"80/tcp":[18080],"53/udp":[1053,1054]}')).toEqual({
      '80/tcp': [18080],
      '53/udp': [1053, 1054],
    });
    expect(studentPorts('{"80/tcp":[0,70000,"x",1.5],"web":[80]}')).toEqual({});
    expect(studentPorts('[80]')).toEqual({});
    expect(studentPorts('not json')).toEqual({});
    expect(studentPorts(undefined)).toEqual({});
  });
});
