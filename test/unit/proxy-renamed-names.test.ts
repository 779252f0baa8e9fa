// The name a student knows a container by after `docker rename`: the name label written at create
// cannot change, so it stands only while it still maps to the engine's (scoped) name.
import { describe, expect, it } from 'vitest';
import { runLabels } from '../../src/engine/labels';
import { VirtualNames } from '../../src/proxy/names';
import { currentStudentName, NAME_LABEL } from '../../src/proxy/policy';
import { friendlyName, STUDENT_NAME_LABEL, studentContainerName } from '../../src/run/resolve';
import { resourceName } from '../../src/steps/names';
import { contextOn, RecordingEngine, SCOPE } from './checks-support';

const engine = new RecordingEngine();
const ours = runLabels(engine.runId, SCOPE);
const given = (name: string) => ({ ...ours, [STUDENT_NAME_LABEL]: name });

describe('a renamed container', () => {
  const context = contextOn(engine);

  it('is shown to checks by its new name, and by the spelling given at create until renamed', () => {
    expect(studentContainerName({ name: resourceName(SCOPE, 'Web'), labels: given('Web') }, context)).toBe(
      'Web',
    );
    expect(
      studentContainerName({ name: resourceName(SCOPE, 'second'), labels: given('first') }, context),
    ).toBe('second');
    const renamed = { id: 'abc', name: resourceName(SCOPE, 'second'), labels: given('first') };
    expect(friendlyName(renamed, context)).toBe('second');
    // The grader's own containers carry no student name.
    expect(studentContainerName({ name: resourceName(SCOPE, 'client-1'), labels: ours }, context)).toBe(
      undefined,
    );
  });

  it('is named by its new name in the gate’s messages and network aliases', () => {
    const names = new VirtualNames(SCOPE);
    const labels = { [NAME_LABEL]: 'first' };
    expect(currentStudentName({ name: resourceName(SCOPE, 'first'), labels }, names)).toBe('first');
    expect(currentStudentName({ name: `/${resourceName(SCOPE, 'second')}`, labels }, names)).toBe('second');
    expect(currentStudentName({ name: resourceName(SCOPE, 'second'), labels: {} }, names)).toBeUndefined();
  });
});
