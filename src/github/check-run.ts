// A check run on the graded commit, carrying every annotation: the Checks API takes 50 per
// request, so the first 50 go with the creation and the rest in updates, which append.
import { type Annotation, batches } from '../report/annotations';
import type { GitHubClient } from './client';
import type { Repository } from './context';

export type Conclusion = 'success' | 'failure' | 'neutral';

export interface CheckRunRequest {
  name: string;
  headSha: string;
  conclusion: Conclusion;
  title: string;
  /** Markdown, at most 65,535 characters (the caller renders it within that). */
  summary: string;
  annotations: Annotation[];
  detailsUrl?: string;
}

export interface CheckRunPublished {
  id: number;
  url: string;
  annotated: number;
  /** Annotations without a file in the repository, which a check run cannot carry. */
  skipped: number;
  requests: number;
}

type ApiAnnotation = {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  message: string;
  title?: string;
};

export async function publishCheckRun(
  client: GitHubClient,
  repository: Repository,
  request: CheckRunRequest,
): Promise<CheckRunPublished> {
  const onFiles = request.annotations.flatMap(toApi);
  const [first = [], ...rest] = batches(onFiles);
  const output = { title: request.title, summary: request.summary };
  const { data } = await client.rest.checks.create({
    ...repository,
    name: request.name,
    head_sha: request.headSha,
    status: 'completed',
    conclusion: request.conclusion,
    completed_at: new Date().toISOString(),
    ...(request.detailsUrl === undefined ? {} : { details_url: request.detailsUrl }),
    output: { ...output, annotations: first },
  });
  for (const batch of rest) {
    await client.rest.checks.update({
      ...repository,
      check_run_id: data.id,
      output: { ...output, annotations: batch },
    });
  }
  return {
    id: data.id,
    url: data.html_url ?? '',
    annotated: onFiles.length,
    skipped: request.annotations.length - onFiles.length,
    requests: 1 + rest.length,
  };
}

function toApi(annotation: Annotation): ApiAnnotation[] {
  if (annotation.file === undefined) return [];
  const api: ApiAnnotation = {
    path: annotation.file,
    start_line: annotation.line,
    end_line: annotation.line,
    annotation_level: annotation.level === 'error' ? 'failure' : 'warning',
    message: annotation.message,
    title: annotation.title,
  };
  // Columns are only accepted on a single-line annotation, which these always are.
  if (annotation.column !== undefined) {
    api.start_column = annotation.column;
    api.end_column = annotation.column;
  }
  return [api];
}
