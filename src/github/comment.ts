// The sticky pull-request comment: found again by its marker and its author, created once,
// then updated in place on every push.
import { hasCommentMarker } from '../report/comment';
import type { GitHubClient } from './client';
import type { Repository } from './context';

export interface StickyComment {
  id: number;
  body: string;
  url?: string;
}

// A pull request with more than 3,000 comments is not one a sticky comment would help.
const MAX_PAGES = 30;

export async function findStickyComment(
  client: GitHubClient,
  repository: Repository,
  issueNumber: number,
  key: string,
  author: string,
): Promise<StickyComment | undefined> {
  let pages = 0;
  for await (const { data } of client.paginate.iterator(client.rest.issues.listComments, {
    ...repository,
    issue_number: issueNumber,
    per_page: 100,
  })) {
    for (const comment of data) {
      // GitHub logins are case-insensitive; the marker check needs the exact text we write.
      const byAuthor = comment.user?.login.toLowerCase() === author.toLowerCase();
      if (byAuthor && comment.body !== undefined && hasCommentMarker(comment.body, key)) {
        return { id: comment.id, body: comment.body, url: comment.html_url };
      }
    }
    pages += 1;
    if (pages >= MAX_PAGES) break;
  }
  return undefined;
}

export interface CommentWritten {
  action: 'created' | 'updated';
  id: number;
  url: string;
}

export async function writeStickyComment(
  client: GitHubClient,
  repository: Repository,
  issueNumber: number,
  existing: StickyComment | undefined,
  body: string,
): Promise<CommentWritten> {
  if (existing !== undefined) {
    const { data } = await client.rest.issues.updateComment({ ...repository, comment_id: existing.id, body });
    return { action: 'updated', id: data.id, url: data.html_url };
  }
  const { data } = await client.rest.issues.createComment({ ...repository, issue_number: issueNumber, body });
  return { action: 'created', id: data.id, url: data.html_url };
}
