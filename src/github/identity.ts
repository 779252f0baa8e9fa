// Who the token acts as, so the sticky comment is only ever one this token wrote. A marker alone
// is not enough: anyone can paste it into a comment of their own.
//
// GET /user answers for a personal access token. For the workflow's GITHUB_TOKEN (and any GitHub
// App installation token) it answers 403 "Resource not accessible by integration"; GITHUB_TOKEN
// then acts as `github-actions[bot]`, a login no person can register (logins cannot contain
// brackets). Other App tokens act as `<app-slug>[bot]`, which the token cannot look up itself:
// for those, the `comment-author` input names the login.
import { type GitHubClient, httpStatus } from './client';

export const GITHUB_ACTIONS_LOGIN = 'github-actions[bot]';

export interface Identity {
  login: string;
  /** How the login was learnt, for the log. */
  source: 'input' | 'token' | 'default';
}

export async function commentAuthor(client: GitHubClient, configured: string): Promise<Identity> {
  if (configured !== '') return { login: configured, source: 'input' };
  try {
    const { data } = await client.rest.users.getAuthenticated();
    return { login: data.login, source: 'token' };
  } catch (error) {
    const status = httpStatus(error);
    if (status === 401 || status === 403 || status === 404) {
      return { login: GITHUB_ACTIONS_LOGIN, source: 'default' };
    }
    throw error;
  }
}
