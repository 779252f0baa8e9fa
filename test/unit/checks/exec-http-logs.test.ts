import { describe, expect, it } from 'vitest';
import { execCheck } from '../../../src/checks/kinds/exec';
import { httpCheck } from '../../../src/checks/kinds/http';
import { joinOutput, logsCheck } from '../../../src/checks/kinds/logs';
import type { HttpRequest } from '../../../src/shared/http-request';
import { contextOn, RecordingEngine } from '../../support/unit-checks';

describe('exec check', () => {
  it('runs a string through /bin/sh -c, with the environment as text', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    await engine.runStep(context, 'web');
    const observation = await execCheck.observe(
      { container: 'web', command: 'echo $A', env: { A: 1, B: true }, user: 'app', workdir: '/srv' },
      context,
    );
    expect(observation).toEqual({ facts: { stdout: 'hello\n', stderr: '', exitCode: 0 } });
    expect(engine.execRequests[0]).toMatchObject({
      cmd: ['/bin/sh', '-c', 'echo $A'],
      env: { A: '1', B: 'true' },
      user: 'app',
      workdir: '/srv',
    });
  });

  it('fails when the command outlives its timeout, and when the container is not running', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    const id = await engine.runStep(context, 'web');
    engine.execResult = { exitCode: null, stdout: 'partial', stderr: '', truncated: false, timedOut: true };
    expect(
      await execCheck.observe({ container: 'web', command: ['sleep', '9'], timeout: '2s' }, context),
    ).toEqual({
      failure: { message: 'the command did not finish within 2s', actual: 'partial' },
    });
    engine.runningById.set(id, false);
    expect(await execCheck.observe({ container: 'web', command: ['true'] }, context)).toEqual({
      failure: { message: 'container "web" is not running (exited, exit code 1)' },
    });
  });
});

describe('http check', () => {
  it('sends the headers as text and observes lower-case header names', async () => {
    const engine = new RecordingEngine();
    const requests: HttpRequest[] = [];
    const context = contextOn(engine, async (request) => {
      requests.push(request);
      return { status: 201, headers: { 'X-Answer': '42' }, body: 'made', truncated: false };
    });
    await engine.runStep(context, 'web');
    const observation = await httpCheck.observe(
      { container: 'web', port: 8080, path: '/items', method: 'POST', body: '{}', headers: { 'X-Token': 7 } },
      context,
    );
    expect(observation).toEqual({ facts: { status: 201, headers: { 'x-answer': '42' }, body: 'made' } });
    expect(requests[0]).toMatchObject({
      host: '127.0.0.1',
      port: 49152,
      path: '/items',
      method: 'POST',
      body: '{}',
      headers: { 'X-Token': '7' },
    });
  });

  it('fails on a port nobody published, and on a connection that gets no answer', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine, async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    });
    await engine.runStep(context, 'web');
    expect(await httpCheck.observe({ container: 'web', port: 9000 }, context)).toEqual({
      failure: { message: 'port 9000 of "web" is not published' },
    });
    expect(await httpCheck.observe({ container: 'web', port: 8080 }, context)).toEqual({
      failure: {
        message: 'GET / on port 8080 got no answer: connection refused (nothing listens on that port)',
      },
    });
  });
});

describe('logs check', () => {
  it('reads a stopped container', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    const id = await engine.runStep(context, 'job');
    engine.runningById.set(id, false);
    engine.logsById.set(id, { stdout: 'done\n', stderr: 'warning\n', truncated: false });
    expect(await logsCheck.observe({ container: 'job' }, context)).toEqual({
      facts: { stdout: 'done\n', stderr: 'warning\n', output: 'done\nwarning\n' },
    });
  });

  it('says which container is missing', async () => {
    const context = contextOn(new RecordingEngine());
    expect(await logsCheck.observe({ container: 'ghost' }, context)).toEqual({
      failure: { message: 'there is no container "ghost"' },
    });
  });

  it('joins the streams without gluing a last line of stdout to stderr', () => {
    expect(joinOutput('', '')).toBe('');
    expect(joinOutput('a\n', '')).toBe('a\n');
    expect(joinOutput('', 'b')).toBe('b');
    expect(joinOutput('a\n', 'b\n')).toBe('a\nb\n');
    expect(joinOutput('a', 'b')).toBe('a\nb');
  });
});
