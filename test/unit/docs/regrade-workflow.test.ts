// The class regrade workflow (docs/workflows/regrade-class.yml) as GitHub reads it: GitHub's own
// workflow parser (@actions/workflow-parser, the one behind the Actions editor and language
// server) must find no error in it, and its shards must cover the class exactly.
import { readFileSync } from 'node:fs';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const file = 'docs/workflows/regrade-class.yml';

/** upload-artifact's `*`: any characters but a slash. */
function globMatches(pattern: string, candidate: string): boolean {
  const source = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*');
  return new RegExp(`^${source}$`).test(candidate);
}
const content = readFileSync(file, 'utf8');

interface Step {
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  env: Record<string, string | number>;
  jobs: Record<string, { needs?: string; strategy?: { matrix: { shard: number[] } }; steps: Step[] }>;
}

describe('the class regrade workflow', () => {
  it('is a valid workflow for GitHub', async () => {
    const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
    expect(parsed.context.errors.getErrors().map((error) => error.message)).toEqual([]);
    if (parsed.value === undefined) throw new Error(`${file} parsed to nothing`);
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    expect(template.errors ?? []).toEqual([]);
    expect(template.jobs.map((job) => job.id.value)).toEqual(['grade', 'merge']);
  });

  it('has one matrix entry for each shard, numbered 1..SHARDS', () => {
    const workflow = parse(content) as Workflow;
    const shards = Number(workflow.env.SHARDS);
    expect(workflow.jobs.grade?.strategy?.matrix.shard).toEqual(
      Array.from({ length: shards }, (_, i) => i + 1),
    );
  });

  it('uploads each shard under a name the merge job downloads', () => {
    const workflow = parse(content) as Workflow;
    const upload = workflow.jobs.grade?.steps.find((step) =>
      step.uses?.startsWith('actions/upload-artifact'),
    );
    const download = workflow.jobs.merge?.steps.find((step) =>
      step.uses?.startsWith('actions/download-artifact'),
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JavaScript template
    expect(upload?.with?.name).toBe('gradebook-${{ matrix.shard }}');
    expect(String(download?.with?.pattern)).toBe('gradebook-*');
    const merge = workflow.jobs.merge?.steps.find((step) => step.run?.includes('gradebook merge'));
    expect(merge?.run).toContain(`${String(download?.with?.path)}/gradebook-*`);
  });

  it('uploads the class report and checks.csv with the merged gradebook', () => {
    const workflow = parse(content) as Workflow;
    const merge = workflow.jobs.merge?.steps.find((step) => step.run?.includes('gradebook merge'));
    const out = /--out (\S+)/.exec(merge?.run ?? '')?.[1];
    const upload = workflow.jobs.merge?.steps.find((step) =>
      step.uses?.startsWith('actions/upload-artifact'),
    );
    const paths = String(upload?.with?.path).trim().split('\n');
    for (const file of ['gradebook.json', 'checks.csv', 'class-report.html']) {
      expect(paths.some((pattern) => globMatches(pattern.trim(), `${out}/${file}`))).toBe(true);
    }
  });

  it('keeps the token out of every step but the one that clones', () => {
    const workflow = parse(content) as Workflow;
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    const withSecrets = steps.filter((step) => JSON.stringify(step).includes('secrets.'));
    expect(withSecrets.map((step) => step.run?.split('\n')[0])).toEqual(['mkdir -p submissions']);
  });
});
