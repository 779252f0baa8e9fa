// The CLI's report formats, each one pure renderer of the same GradeReport. A renderer is loaded
// when its format is asked for, so that a run does not load the three it does not print.
import type { GradeReport } from './model';

// New formats go at the end, so messages and docs that list the older ones stay as they were.
export const REPORT_FORMATS = ['text', 'json', 'markdown', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

type Renderer = (report: GradeReport) => string;

const RENDERERS: Record<ReportFormat, () => Promise<Renderer>> = {
  text: async () => (await import('./text')).renderText,
  json: async () => (await import('./json')).renderJson,
  markdown: async () => (await import('./markdown')).renderMarkdown,
  junit: async () => (await import('./junit')).renderJunit,
};

export function isReportFormat(value: string): value is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(value);
}

export async function renderReport(format: ReportFormat, report: GradeReport): Promise<string> {
  const render = await RENDERERS[format]();
  return render(report);
}
