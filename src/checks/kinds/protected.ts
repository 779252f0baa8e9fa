// The `protected` check: a file the student must not change still has its pinned SHA-256.
// It observes only the hash; evaluate.ts supplies the expectation (the schema gives this kind
// no `expect`: the pinned hash in the target is the expectation).
import { createHash } from 'node:crypto';
import { objectOf, ref, required, sha256Hex } from '../../spec/json-schema';
import { defineCheck } from '../check';
import { fileLocation, readStudentFile, unreadable } from '../student-file';

export const protectedCheck = defineCheck('protected', {
  target: objectOf('A file the student must not change keeps its pinned hash.', {
    file: required(ref('relativePath')),
    sha256: required(sha256Hex()),
  }),
  // No expect: the pinned hash in the target is the expectation.
  readOnly: true,
  validate(target, rules) {
    rules.relativePath(['file'], target.file);
  },
  async observe(target, context) {
    const file = await readStudentFile(context.submissionDir, target.file);
    if (!file.found) {
      const message =
        file.reason === 'missing'
          ? `${target.file}: the file was deleted; it must stay as it was given`
          : unreadable(file, target.file);
      return { failure: { message, location: fileLocation(file.absolute) } };
    }
    // The raw bytes, so that the hash is the one `sha256sum` prints for the file.
    const sha256 = createHash('sha256').update(file.content).digest('hex');
    return { facts: { sha256 }, locations: { sha256: fileLocation(file.absolute) } };
  },
});
