// Requests a student's script can send the policy proxy by hand, each with the refusal it must
// meet: for the unit tests (a fake engine behind the proxy) and the integration tests (the real
// engine) alike, so that both hold the gate to the same answer.
import { expect } from 'vitest';

/** An answer of the proxy to one HTTP request. */
export interface Answer {
  status: number;
  body: string;
}

/** What a refusal of the gate must be: its status, and what its message says. */
export interface Refused {
  status: number;
  reason: RegExp | string;
}

/** Expects `answer` to be the refusal: its status (the body shown if not), and the reason in its body. */
export function expectRefused(answer: Answer, refused: Refused): void {
  expect(answer.status, answer.body).toBe(refused.status);
  expect(answer.body).toMatch(refused.reason);
}

/**
 * A container start under an API version that still took a HostConfig on start (before 1.24):
 * refused whole, so that no privileged or bind setting can come in that way.
 */
export const OLD_API_START = {
  url: (container: string): string => `/v1.23/containers/${container}/start`,
  body: '{"Privileged":true,"Binds":["/:/host"]}',
  status: 400,
  reason: /Minimum supported API version is 1\.40/,
};
