// Names and filters: scoped names and tags, list and event filters, name filters the proxy matches
// itself, and the grader's labels hidden from answers (src/proxy/filters.ts, visibility.ts).
import { describe, expect, it } from 'vitest';
import { parseImageReference, VirtualNames } from '../../../src/naming/virtual-names';
import { requestedHostPorts } from '../../../src/proxy/allowance';
import {
  keepNamed,
  keepNamedObjects,
  narrowFilters,
  parseFilters,
  takeNameFilters,
} from '../../../src/proxy/filters';
import { Refusal } from '../../../src/proxy/policy';
import { withoutOurLabels } from '../../../src/proxy/visibility';
import { SCOPE } from '../../support/policy-context';

describe('names and filters', () => {
  const names = new VirtualNames(SCOPE);

  it('scopes names and image tags, and takes the scope out of answers', () => {
    expect(names.real('web')).toBe(`${SCOPE}-web`);
    expect(names.realImage('my_app:0.0.1')).toBe(`${SCOPE}-my_app:0.0.1`);
    expect(names.realImage('my_app')).toBe(`${SCOPE}-my_app:latest`);
    expect(names.realImage('docker.io/library/my_app:2')).toBe(`${SCOPE}-my_app:2`);
    expect(names.realImage('docker.io/me/my_app')).toBe(`${SCOPE}-me-my_app:latest`);
    expect(names.realImage('sha256:0123456789abcdef')).toBeUndefined();
    expect(names.realImage('busybox@sha256:abc')).toBeUndefined();
    expect(names.unscope(`{"Name":"/${SCOPE}-web","Image":"${SCOPE}-my_app:0.0.1","Other":"${SCOPE}"}`)).toBe(
      `{"Name":"/web","Image":"my_app:0.0.1","Other":"${SCOPE}"}`,
    );
  });

  it('gives back the student’s spelling of names it scoped', () => {
    const fresh = new VirtualNames(SCOPE);
    fresh.real('MyWeb');
    expect(fresh.unscope(`/${SCOPE}-myweb and /${SCOPE}-myweb2`)).toBe('/MyWeb and /myweb2');
  });

  it('parses image references', () => {
    expect(parseImageReference('localhost:5000/app:1@sha256:ab')).toEqual({
      repository: 'localhost:5000/app',
      tag: '1',
      digest: 'sha256:ab',
    });
    expect(parseImageReference('localhost:5000/app')).toEqual({ repository: 'localhost:5000/app' });
  });

  it('adds the run’s labels to list filters and scopes anchored names', () => {
    const filters = narrowFilters('{"name":{"^web$":true},"label":["tier=front"],"status":["running"]}', {
      names,
      runLabelFilters: ['org.docker-autograder.run=run1'],
      realNetwork: (name) => names.real(name),
    });
    expect(parseFilters(filters)).toEqual({
      name: [`^${SCOPE}-web$`],
      label: ['tier=front', 'org.docker-autograder.run=run1'],
      status: ['running'],
    });
    expect(parseFilters(narrowFilters(null, { names, runLabelFilters: ['a=b'] }))).toEqual({
      label: ['a=b'],
    });
  });

  it('scopes the container of an event filter, keeping what may be an id', () => {
    const filters = narrowFilters('{"container":{"web":true,"3f2a":true}}', { names, runLabelFilters: [] });
    expect(parseFilters(filters).container?.sort()).toEqual(
      ['3f2a', `${SCOPE}-3f2a`, `${SCOPE}-web`, 'web'].sort(),
    );
  });

  it('takes name filters out for the proxy to match on the names the student sees', () => {
    const taken = takeNameFilters('{"name":{"^second$":true,"t":true},"status":["running"]}');
    expect(taken && parseFilters(taken.rest)).toEqual({ status: ['running'] });
    const containers = [
      { Names: ['/second'] },
      { Names: ['/first'] },
      { Names: ['/other'] },
      { Names: ['/abc'] },
    ];
    // "^second$" on the name without its slash, "t" anywhere: never on a scope prefix.
    expect(keepNamed(containers, taken?.patterns ?? [])).toEqual([
      { Names: ['/second'] },
      { Names: ['/first'] },
      { Names: ['/other'] },
    ]);
    expect(
      keepNamedObjects(
        [{ Name: 'alpha' }, { Name: 'beta' }],
        takeNameFilters('{"name":["^al"]}')?.patterns ?? [],
      ),
    ).toEqual([{ Name: 'alpha' }]);
    // No name filter, or one only the engine's RE2 reads: the engine matches, as before.
    expect(takeNameFilters('{"status":["running"]}')).toBeUndefined();
    expect(takeNameFilters('{"name":["(?i)web"]}')).toBeUndefined();
  });

  it('refuses a name filter that would backtrack for hours, instead of freezing the grader', () => {
    const slow = takeNameFilters('{"name":["^(a|a)*$"]}')?.patterns ?? [];
    const names = [{ Names: [`/${'a'.repeat(40)}-x`] }];
    expect(() => keepNamed(names, slow)).toThrow(/took too long to match: use a simpler pattern/);
    expect(() => keepNamedObjects([{ Name: `${'a'.repeat(40)}-x` }], slow)).toThrow(Refusal);
  });

  it('hides the grader’s labels from answers, at any depth', () => {
    expect(
      withoutOurLabels([
        { Labels: { 'org.docker-autograder.run': 'x', mine: 'y' }, Config: { Labels: null } },
      ]),
    ).toEqual([{ Labels: { mine: 'y' }, Config: { Labels: null } }]);
  });

  it('reads the requested host ports of a label', () => {
    expect(requestedHostPorts('{"80/tcp":[18080],"443/tcp":[18443,18444]}')).toEqual([18080, 18443, 18444]);
    expect(requestedHostPorts('not json')).toEqual([]);
    expect(requestedHostPorts(undefined)).toEqual([]);
  });
});
