// Annotations as workflow commands on the step, as many as GitHub shows there.
import { type Annotation, limitForStep } from '../../report/annotations';
import type { ActionCore } from '../core';

export function annotateStep(core: ActionCore, annotations: Annotation[]): void {
  const { annotations: shown } = limitForStep(annotations);
  for (const annotation of shown) {
    const place = {
      title: annotation.title,
      file: annotation.file,
      startLine: annotation.file === undefined ? undefined : annotation.line,
      startColumn: annotation.file === undefined ? undefined : annotation.column,
    };
    if (annotation.level === 'error') core.error(annotation.message, place);
    else core.warning(annotation.message, place);
  }
}
