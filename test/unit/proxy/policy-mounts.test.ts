// Bind sources checked again when a container starts (src/proxy/policy-mounts.ts).
import { describe, expect, it } from 'vitest';
import { recheckBindSources } from '../../../src/proxy/policy-mounts';
import { type EngineObjects, policyContext, refusal, SUBMISSION } from '../../support/policy-context';

describe('bind sources checked again at start', () => {
  it('refuses a source that now leads out of the submission', async () => {
    const engine: EngineObjects = { links: { [`${SUBMISSION}/html`]: '/' } };
    const error = await refusal(
      recheckBindSources(
        { HostConfig: { Binds: [`${SUBMISSION}/html:/usr/share/nginx/html:ro`] }, Mounts: [] },
        policyContext(engine).context,
      ),
    );
    expect(error.message).toMatch(/only folders inside the submission .*checked again at start/);
    const socket = await refusal(
      recheckBindSources(
        { Mounts: [{ Type: 'bind', Source: `${SUBMISSION}/s`, Destination: '/s' }] },
        policyContext({ links: { [`${SUBMISSION}/s`]: '/run/docker.sock' }, sockets: ['/run/docker.sock'] })
          .context,
      ),
    );
    expect(socket.message).toMatch(/Docker socket/);
  });

  it('passes sources that still lead into the submission, and volumes', async () => {
    await expect(
      recheckBindSources(
        {
          HostConfig: { Binds: [`${SUBMISSION}/html:/html`, 'data:/data'] },
          Mounts: [{ Type: 'volume', Source: '/var/lib/docker/volumes/x/_data', Destination: '/data' }],
        },
        policyContext().context,
      ),
    ).resolves.toBeUndefined();
  });
});
