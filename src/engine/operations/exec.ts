// engine/operations: one group of the Engine interface's calls, made on the daemon through transport/.
//
// Commands run in a running container, their output read with a byte cap and a deadline.
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecRequest, ExecResult } from '../engine';
import { delay, shortId } from '../format';
import type { DockerClient } from '../transport/client';
import { asReadable, CappedBytes, followStream, type StreamOutcome } from '../transport/streams';

/** After an exec's output ends, how long the daemon gets to publish its exit code. */
const EXIT_CODE_WAIT_MS = 5_000;

export async function runExec(
  client: DockerClient,
  containerId: string,
  request: ExecRequest,
): Promise<ExecResult> {
  const exec = await client.call(`create exec in ${shortId(containerId)}`, (signal) =>
    client.docker.getContainer(containerId).exec({
      Cmd: request.cmd,
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      User: request.user,
      WorkingDir: request.workdir,
      Env: request.env && Object.entries(request.env).map(([key, value]) => `${key}=${value}`),
      abortSignal: signal,
    }),
  );
  const stdout = new CappedBytes(request.maxOutputBytes);
  const stderr = new CappedBytes(request.maxOutputBytes);
  const outcome = await readExec(client, exec, stdout, stderr, request);
  const output = {
    stdout: stdout.text(),
    stderr: stderr.text(),
    truncated: stdout.truncated || stderr.truncated,
  };
  if (outcome === 'timeout') {
    // The command's time limit is the student's only while the engine was there to run it.
    await client.ensureAnswering('the command timed out');
    return { ...output, exitCode: null, timedOut: true };
  }
  return { ...output, exitCode: await exitCodeOf(client, exec), timedOut: false };
}

async function readExec(
  client: DockerClient,
  exec: Docker.Exec,
  stdout: CappedBytes,
  stderr: CappedBytes,
  request: ExecRequest,
): Promise<StreamOutcome> {
  const { controller, done } = client.deadline(request.timeoutMs);
  const abort = (): void => controller.abort();
  request.signal?.addEventListener('abort', abort);
  if (request.signal?.aborted) controller.abort();
  try {
    const stream = asReadable(
      await exec.start({ Detach: false, Tty: false, abortSignal: controller.signal }),
    );
    const { onStdout } = request;
    const out = stdout.writable();
    const stdoutSink = onStdout
      ? new Writable({
          write: (chunk: Buffer, encoding, done) => {
            onStdout(Buffer.from(chunk));
            out.write(chunk, encoding, done);
          },
        })
      : out;
    client.docker.modem.demuxStream(stream, stdoutSink, stderr.writable());
    return await followStream(stream, controller.signal, {});
  } catch (error) {
    if (controller.signal.aborted) return 'timeout';
    throw client.translate(error, 'exec');
  } finally {
    done();
    request.signal?.removeEventListener('abort', abort);
  }
}

/** The exit code is only final once the output has ended; the daemon may lag a little behind. */
async function exitCodeOf(client: DockerClient, exec: Docker.Exec): Promise<number | null> {
  const giveUpAt = Date.now() + EXIT_CODE_WAIT_MS;
  for (;;) {
    const info = await client.idempotentCall('inspect exec', (signal) =>
      exec.inspect({ abortSignal: signal }),
    );
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    if (Date.now() >= giveUpAt) return info.Running ? null : info.ExitCode;
    await delay(20);
  }
}
