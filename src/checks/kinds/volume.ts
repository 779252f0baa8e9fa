// The `volume` check: a named volume's existence, driver and labels, by the name the student knows.
import { expectSchema, matcher, objectSchema, ref, text } from '../../spec/json-schema';
import type { Matcher, MatcherMap } from '../../spec/types';
import type { CheckDefinition } from '../check';
import { findVolume, studentLabels } from '../observed-names';

export type VolumeTarget = { name: string };
export type VolumeExpect = { exists?: Matcher; driver?: Matcher; labels?: MatcherMap };

export const volumeCheck: CheckDefinition<'volume', VolumeTarget, VolumeExpect> = {
  kind: 'volume',
  schema: {
    target: objectSchema({
      required: ['name'],
      properties: {
        name: text("A volume step's name, a compose volume's name, or an engine volume name."),
      },
    }),
    expect: expectSchema({ exists: matcher(), driver: matcher(), labels: ref('matcherMap') }),
  },
  readOnly: true,
  async observe(target, context) {
    const volume = await findVolume(target.name, context);
    if (volume === undefined) return { facts: { exists: false } };
    return { facts: { exists: true, driver: volume.driver, labels: studentLabels(volume.labels) } };
  },
};
