import type { CheckDefinition } from '../check';
import { findVolume, studentLabels } from '../observed-names';

export const volumeCheck: CheckDefinition<'volume'> = {
  kind: 'volume',
  async observe(target, context) {
    const volume = await findVolume(target.name, context);
    if (volume === undefined) return { facts: { exists: false } };
    return { facts: { exists: true, driver: volume.driver, labels: studentLabels(volume.labels) } };
  },
};
