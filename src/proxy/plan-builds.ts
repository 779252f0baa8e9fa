// The plan of a build through the gate: its query checked (policy-builds.ts), then its context
// read before the engine sees it and its Dockerfile held to the build rules (build-rules.ts).

import { ContextRefusal, holdBuild } from './build-rules';
import type { Plans } from './plan';
import { isRecord, Refusal } from './policy';
import { policeBuildQuery } from './policy-builds';
import { upstreamJson } from './upstream';

export const buildPlans: Plans<'build'> = {
  build: async (gate, request) => {
    const policed = await policeBuildQuery(request.query, gate.context);
    const held = await holdBuild(request.message, policed, {
      runId: gate.runId,
      scope: gate.scope,
      imageDetails: (reference) => gate.lookups.imageDetails(reference),
      engineInfo: async () => {
        const answer = await upstreamJson(gate.upstream, 'GET', '/info');
        return isRecord(answer.body) ? answer.body : undefined;
      },
    }).catch((error: unknown) => {
      throw error instanceof ContextRefusal ? new Refusal(error.message) : error;
    });
    const tags = request.query.getAll('t');
    return {
      url: request.withQuery('/build', held.query),
      upload: held.upload,
      release: () => void held.release(),
      answer: 'lines',
      describe: `building image${tags.length > 0 ? ` ${tags.join(', ')}` : ''} (docker build)`,
    };
  },
};
