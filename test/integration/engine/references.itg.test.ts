// The grader's own builds carry no labels (each would be a LABEL step, a container commit, on
// the classic builder); cleanup finds them by their run-owned tags and only untags them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../../src/engine/docker-engine';
import { imageTag } from '../../../src/naming/image-references';
import { RUN_LABEL } from '../../../src/naming/labels';
import { labelled, runImageReferences } from '../../support/integration';

const runId = `itg-refs-${Date.now()}`;
const otherRunId = `itg-refs-other-${Date.now()}`;
const engine = new DockerEngine({ runId });
const otherEngine = new DockerEngine({ runId: otherRunId });
const tempDirs: string[] = [];

function context(dockerfile: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'itg-refs-'));
  tempDirs.push(dir);
  writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

async function build(on: DockerEngine, tag: string, dockerfile: string, labels?: Record<string, string>) {
  const result = await on.build({
    contextDir: context(dockerfile),
    dockerfile: 'Dockerfile',
    tag,
    labels,
    timeoutMs: 60_000,
  });
  if (!result.ok) throw new Error(`build of ${tag} failed: ${result.error}\n${result.log}`);
  return result;
}

function imageIds(): string[] {
  return execFileSync('docker', ['image', 'ls', '-aq', '--no-trunc'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

function history(reference: string): string {
  return execFileSync('docker', ['history', '--no-trunc', '--format', '{{.CreatedBy}}', reference], {
    encoding: 'utf8',
  });
}

afterAll(async () => {
  await engine.removeResources();
  await otherEngine.removeResources();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('builds into the run namespace', () => {
  it('have no LABEL step, and cleanup removes them by their tag', async () => {
    const tag = imageTag(`${runId}-1`, 'app');
    const result = await build(engine, tag, `FROM busybox:latest\nRUN echo built ${runId} > /built\n`);
    const image = await engine.inspectImage(tag);
    expect(image?.labels[RUN_LABEL]).toBeUndefined();
    expect(history(tag)).not.toContain('LABEL');
    expect(await runImageReferences({ runId })).toEqual([tag]);
    expect(await labelled(`${RUN_LABEL}=${runId}`)).toEqual([tag]);

    const report = await engine.removeResources({ scope: `${runId}-1` });
    expect(report.failures).toEqual([]);
    expect(report.images).toBe(1);
    expect(await engine.inspectImage(tag)).toBeUndefined();
    expect(imageIds()).not.toContain(result.imageId);
  });

  it('only untag an image that has another name (FROM alone is the base image)', async () => {
    const busybox = await engine.inspectImage('busybox:latest');
    const tag = imageTag(`${runId}-2`, 'same-as-base');
    const result = await build(engine, tag, 'FROM busybox:latest\n');
    expect(result.imageId).toBe(busybox?.id);
    await engine.removeResources();
    expect(await engine.inspectImage(tag)).toBeUndefined();
    expect((await engine.inspectImage('busybox:latest'))?.id).toBe(busybox?.id);
  });

  it("leave another run's identical build alone", async () => {
    const dockerfile = `FROM busybox:latest\nRUN echo shared ${runId} > /shared\n`;
    const mine = imageTag(`${runId}-3`, 'app');
    const theirs = imageTag(`${otherRunId}-1`, 'app');
    const theirBuild = await build(otherEngine, theirs, dockerfile);
    const myBuild = await build(engine, mine, dockerfile);
    expect(myBuild.imageId).toBe(theirBuild.imageId);
    await engine.removeResources();
    expect(await engine.inspectImage(mine)).toBeUndefined();
    expect((await engine.inspectImage(theirs))?.id).toBe(theirBuild.imageId);
    await otherEngine.removeResources();
    expect(await runImageReferences({ runId: otherRunId })).toEqual([]);
    expect(imageIds()).not.toContain(theirBuild.imageId);
  });

  it('remove the image a rebuild took the tag from, when that was its last name', async () => {
    const tag = imageTag(`${runId}-4`, 'app');
    const first = await build(engine, tag, `FROM busybox:latest\nRUN echo one ${runId} > /n\n`);
    const second = await build(engine, tag, `FROM busybox:latest\nRUN echo two ${runId} > /n\n`);
    expect(second.imageId).not.toBe(first.imageId);
    expect(imageIds()).not.toContain(first.imageId);
    await engine.removeResources();
    expect(imageIds()).not.toContain(second.imageId);
  });

  it('keep the run labels when asked for labels, or when the tag is outside the namespace', async () => {
    const asked = imageTag(`${runId}-5`, 'labelled');
    const outside = `${runId}-outside:test`;
    await build(engine, asked, 'FROM busybox:latest\n', { 'org.example.extra': 'yes' });
    await build(engine, outside, 'FROM busybox:latest\n');
    expect((await engine.inspectImage(asked))?.labels[RUN_LABEL]).toBe(runId);
    expect((await engine.inspectImage(outside))?.labels[RUN_LABEL]).toBe(runId);
    await engine.removeResources();
    expect(await labelled(`${RUN_LABEL}=${runId}`)).toEqual([]);
  });
});
