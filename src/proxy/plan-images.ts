// Plans of the image routes: the list narrowed to the run's images and the base images, pull
// (no import, no BuildKit builder, no registry on a loopback or private host), inspect, history,
// save, tag and remove of the run's own images (base images read only), and commit of the run's
// own containers into images stamped as the run's.

import { STUDENT_NAME_LABEL, withOwnLabelsSet } from '../naming/labels';
import { filterOptionsFor, narrowFilters } from './filters';
import type { PlanGate, Plans } from './plan';
import { refuseRegistry } from './plan-system';
import { notFound, Refusal } from './policy';
import { BUILDKIT_REFUSED, isBuildkitFallback } from './routes/builds';
import { imagePath } from './upstream';
import { visibleImageList } from './visibility';

export const imagePlans: Plans<'image-list' | 'image-pull' | 'image' | 'image-save' | 'commit'> = {
  'image-list': async (gate, request) => {
    const { query } = request;
    // Base images carry no labels: the run's images and the base images are kept by visibleImageList.
    query.set('filters', narrowFilters(query.get('filters'), filterOptionsFor(gate.names, [])));
    return {
      url: request.withQuery('/images/json'),
      answer: 'json',
      transform: (list) => visibleImageList(list, { runId: gate.runId, scope: gate.scope }),
    };
  },
  'image-pull': async (_gate, request) => {
    const { query } = request;
    if ((query.get('fromSrc') ?? '') !== '') {
      throw new Refusal(
        'docker import is not allowed: images imported from a file would not belong to this grading',
      );
    }
    if (isBuildkitFallback(query.get('fromImage') ?? '')) throw new Refusal(BUILDKIT_REFUSED);
    await refuseRegistry({ kind: 'reference', reference: query.get('fromImage') ?? '' });
    return {
      ...request.same,
      answer: 'lines',
      describe: `pulling image ${query.get('fromImage') ?? ''} (docker pull)`,
    };
  },
  'image-save': async (gate, request) => {
    const { query } = request;
    const references: string[] = [];
    for (const name of query.getAll('names')) references.push(await readableImage(gate, name));
    query.delete('names');
    for (const reference of references) query.append('names', reference);
    return { url: request.withQuery('/images/get'), answer: 'pipe', describe: 'saving images (docker save)' };
  },
  image: async (gate, request, route) => {
    const { ref: reference, action } = route;
    const { query } = request;
    if (action === 'push') throw new Refusal('docker push is not allowed while grading');
    const resolved = await gate.lookups.image(reference);
    if (resolved.kind === 'foreign')
      throw notFound(`No such image: ${reference}`, 'image', reference, resolved);
    const real = resolved.kind === 'missing' ? reference : resolved.reference;
    const pathname =
      action === 'remove' ? `/images/${imagePath(real)}` : `/images/${imagePath(real)}/${action}`;
    if (action === 'json' || action === 'history' || action === 'get') {
      return { url: request.withQuery(pathname), answer: action === 'get' ? 'pipe' : 'json' };
    }
    if (resolved.kind === 'base') {
      throw new Refusal(
        `image ${reference} is a base image: only images this grading built may be ${action === 'tag' ? 'tagged' : 'removed'}`,
      );
    }
    if (action === 'tag') {
      const params = new URLSearchParams(query);
      const repository = query.get('repo') ?? '';
      setScopedRepository(
        gate,
        params,
        repository,
        query.get('tag') || 'latest',
        `${repository}:${query.get('tag') || 'latest'}`,
      );
      return { url: request.withQuery(pathname, params), answer: 'json' };
    }
    return { url: request.withQuery(pathname), answer: 'json' };
  },
  commit: async (gate, request) => {
    const { query } = request;
    const reference = query.get('container') ?? '';
    const container = await gate.lookups.container(reference);
    if (container.kind !== 'own')
      throw notFound(`No such container: ${reference}`, 'container', reference, container);
    const params = new URLSearchParams(query);
    params.set('container', container.id);
    const repository = query.get('repo') ?? '';
    if (repository !== '')
      setScopedRepository(gate, params, repository, query.get('tag') || 'latest', repository);
    // The committed image is the run's: the labels go into its configuration like a build's.
    const stamped = {
      ...withOwnLabelsSet(repository !== '' ? { [STUDENT_NAME_LABEL]: repository } : {}),
      ...gate.context.runLabels,
    };
    params.append(
      'changes',
      `LABEL ${Object.entries(stamped)
        .map(([key, value]) => `${JSON.stringify(key)}=${JSON.stringify(value)}`)
        .join(' ')}`,
    );
    return {
      url: request.withQuery('/commit', params),
      answer: 'json',
      describe: `committing container ${reference}`,
    };
  },
};

/** `repo` and `tag` of a tag or commit query, set to the scoped name of the student's `repository:tag`. */
function setScopedRepository(
  gate: PlanGate,
  params: URLSearchParams,
  repository: string,
  tag: string,
  shownInError: string,
): void {
  const scoped = gate.names.realImage(`${repository}:${tag}`);
  if (scoped === undefined) throw new Refusal(`invalid reference format: ${shownInError}`, 400);
  const colon = scoped.lastIndexOf(':');
  params.set('repo', scoped.slice(0, colon));
  params.set('tag', scoped.slice(colon + 1));
}

/** An image that may be read (inspected, saved, run): the run's own or a base image. */
async function readableImage(gate: PlanGate, reference: string): Promise<string> {
  const resolved = await gate.lookups.image(reference);
  if (resolved.kind === 'own' || resolved.kind === 'base') return resolved.reference;
  if (resolved.kind === 'missing') return reference;
  throw notFound(`No such image: ${reference}`, 'image', reference, resolved);
}
