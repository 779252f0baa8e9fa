// The CLI's report formats, each one pure renderer of the same GradeReport.
import { renderJson } from './json';
import { renderJunit } from './junit';
import { renderMarkdown } from './markdown';
import type { GradeReport } from './model';
import { renderText } from './text';

// New formats go at the end, so messages and docs that list the older ones stay as they were.
export const REPORT_FORMATS = ['text', 'json', 'markdown', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function isReportFormat(value: string): value is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(value);
}

export function renderReport(format: ReportFormat, report: GradeReport): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'junit':
      return renderJunit(report);
    case 'markdown':
      return renderMarkdown(report);
    case 'text':
      return renderText(report);
  }
}
