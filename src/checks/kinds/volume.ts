// The `volume` check: a named volume's existence, driver and labels, by the name the student knows.
import { expectSchema, matcher, objectOf, ref, required, text } from '../../spec/json-schema';
import { defineCheck } from '../check';
import { findVolume, studentLabels } from '../observed-names';

export const volumeCheck = defineCheck('volume', {
  target: objectOf({
    name: required(text("A volume step's name, a compose volume's name, or an engine volume name.")),
  }),
  expect: expectSchema({ exists: matcher(), driver: matcher(), labels: ref('matcherMap') }),
  readOnly: true,
  async observe(target, context) {
    const volume = await findVolume(target.name, context);
    if (volume === undefined) return { facts: { exists: false } };
    return { facts: { exists: true, driver: volume.driver, labels: studentLabels(volume.labels) } };
  },
});
