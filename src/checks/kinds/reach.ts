// Can container A resolve a name and open a TCP connection to it? Probed from a short-lived
// helper that shares A's network namespace (so also its /etc/hosts and DNS server), because A's
// image may have no tool for it. The helper is busybox's `nc`, in the form both its variants
// (Debian's small one and the official image's) understand:
//   nc -w SECONDS HOST PORT -e true
// exits 0 as soon as the connection is made, and fails with "bad address" when the name does
// not resolve, or with "Connection refused" / "timed out" when nothing answers.
import { isIP } from 'node:net';
import { scopeLabels } from '../../naming/labels';
import { remainingMs } from '../../run/context';
import { runningContainer } from '../../run/resolve';
import { errorMessage, InfraError } from '../../shared/errors';
import { formatDuration, LIMITS, timeoutMs } from '../../spec/duration';
import { expectSchema, matcher, objectOf, ref, required, text } from '../../spec/json-schema';
import { defineCheck } from '../check';
import { helperName, refusalObservation } from '../observed-names';

export const PROBE_IMAGE = 'busybox:latest';
/** Time for pulling the probe image on a runner that lacks it. */
const PULL_TIMEOUT_MS = 120_000;
/** On top of nc's own timeout: starting the helper, and reading its exit. */
const HELPER_SLACK_MS = 10_000;
const MAX_PROBE_OUTPUT = 16 * 1024;
/** Without a port only resolution matters; a connection is tried (to `discard`) but not waited for long. */
const RESOLVE_ONLY_PORT = 9;
const RESOLVE_ONLY_SECONDS = 1;
/** A host name, or an IPv4/IPv6 address: nothing nc could take for an option. */
const HOST = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export const reachCheck = defineCheck('reach', {
  target: objectOf(
    "Can container `from` resolve `to` and connect to its port? Probed from a helper container in from's network namespace.",
    {
      from: required(ref('containerRef')),
      to: required(text('A host name as seen from `from` (a container name, alias or service).')),
      port: ref('port'),
      timeout: ref('duration', 'Default 5s, at most 1m.'),
    },
  ),
  expect: expectSchema({
    resolves: matcher('The name resolves from `from`.'),
    reachable: matcher('A TCP connection to port succeeds.'),
  }),
  containerKey: 'from',
  // It starts a helper container, which other checks could see.
  readOnly: false,
  validate(target, rules, expect) {
    rules.timeout(['timeout'], target.timeout, LIMITS.reach);
    if (target.port === undefined && expect?.reachable !== undefined) {
      rules.expectProblem(
        'reachable',
        'reachable needs a port in the reach target (without one only resolves is observed)',
      );
    }
  },
  async observe(target, context) {
    if (!HOST.test(target.to) && isIP(target.to) === 0) {
      return { failure: { message: `"${target.to}" is not a host name or an IP address` } };
    }
    const from = await runningContainer(target.from, context);
    if ('failure' in from) return from;
    const limitMs = remainingMs(context, timeoutMs(target.timeout, LIMITS.reach));
    const seconds = target.port === undefined ? RESOLVE_ONLY_SECONDS : Math.max(1, Math.ceil(limitMs / 1000));
    const port = target.port ?? RESOLVE_ONLY_PORT;
    try {
      await context.engine.ensureImage(PROBE_IMAGE, remainingMs(context, PULL_TIMEOUT_MS));
    } catch (error) {
      // The grader's own tool is missing: not the student's doing, so never a failed check.
      if (error instanceof InfraError) throw error;
      throw new InfraError(
        `the reachability probe image ${PROBE_IMAGE} is not available: ${errorMessage(error)}`,
      );
    }
    let id: string;
    try {
      id = await context.engine.createContainer({
        name: helperName(context, 'reach'),
        image: PROBE_IMAGE,
        cmd: ['nc', '-w', String(seconds), target.to, String(port), '-e', 'true'],
        networkMode: `container:${from.id}`,
        labels: scopeLabels(context.scope),
      });
    } catch (error) {
      return refusalObservation(`cannot probe from container "${target.from}"`, error);
    }
    try {
      try {
        await context.engine.startContainer(id);
      } catch (error) {
        return refusalObservation(`cannot probe from container "${target.from}"`, error);
      }
      const waitMs = seconds * 1000 + HELPER_SLACK_MS;
      const exitCode = await context.engine.waitForExit(id, waitMs);
      if (exitCode === null) {
        return {
          failure: {
            message: `the probe from "${target.from}" to ${target.to}:${port} did not finish within ${formatDuration(waitMs)}`,
          },
        };
      }
      const { stdout, stderr } = await context.engine.logs(id, { maxBytes: MAX_PROBE_OUTPUT });
      const outcome = probeOutcome(exitCode, `${stdout}${stderr}`);
      return {
        facts: {
          resolves: outcome !== 'unresolved',
          // Without a port there is nothing to connect to: only `resolves` is observed.
          reachable: target.port === undefined ? undefined : outcome === 'connected',
        },
      };
    } finally {
      // Labelled with the scope: if this removal fails, the exercise's cleanup removes it.
      await context.engine.removeContainer(id).catch(() => undefined);
    }
  },
});

/**
 * What nc's exit says. Resolution failures always print libbb's "bad address"; a refused or
 * timed-out connection exits 1 (silently in the official image's nc). Anything else means the
 * probe itself did not run as intended, which is the grader's problem, never the student's.
 */
export function probeOutcome(exitCode: number, output: string): 'connected' | 'unresolved' | 'unreachable' {
  if (exitCode === 0) return 'connected';
  if (exitCode === 1 && /bad address/i.test(output)) return 'unresolved';
  if (exitCode === 1 && !/usage:|invalid option|not found|applet/i.test(output)) return 'unreachable';
  throw new InfraError(
    `the reachability probe (${PROBE_IMAGE} nc) failed with exit code ${exitCode}: ${output.trim().slice(0, 500)}`,
  );
}
