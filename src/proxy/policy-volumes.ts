// The rules of volume creates: the local driver without host paths or devices, the student's
// name scoped, the run's labels (docs/security.md, boundary 2).
import { STUDENT_NAME_LABEL } from '../naming/labels';
import { isRecord, type Json, type PolicyContext, Refusal, stampLabels } from './policy';
import { checkVolumeDriver } from './policy-mounts';

export function policeVolumeCreate(body: Json, context: PolicyContext): Json {
  const name = typeof body.Name === 'string' ? body.Name : '';
  if (name !== '' && !context.names.isName(name)) throw new Refusal(`invalid volume name "${name}"`, 400);
  checkVolumeDriver(
    typeof body.Driver === 'string' ? body.Driver : '',
    isRecord(body.DriverOpts) ? body.DriverOpts : {},
  );
  return {
    ...body,
    ...(name !== '' ? { Name: context.names.real(name) } : {}),
    Labels: stampLabels(body.Labels, context.runLabels, name !== '' ? { [STUDENT_NAME_LABEL]: name } : {}),
  };
}
