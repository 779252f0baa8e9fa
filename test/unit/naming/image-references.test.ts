import { describe, expect, it } from 'vitest';
import {
  clientImageTag,
  imageTag,
  isGraderReference,
  isRunReference,
  runReferences,
} from '../../../src/naming/image-references';
import { exerciseScope, isScopedName, remoteScope, resourceName } from '../../../src/naming/resource-names';

describe('run references', () => {
  it("are a run's build tags and its client image, not another run's", () => {
    const mine = runReferences({ runId: 'agRun1' });
    expect(mine.matches(imageTag('agRun1-1', 'app'))).toBe(true);
    expect(mine.matches('docker-autograder/client:1-agrun1')).toBe(true);
    expect(mine.matches(imageTag('agRun10-1', 'app'))).toBe(false);
    expect(mine.matches('docker-autograder/client:1-agrun10')).toBe(false);
    expect(mine.matches('docker-autograder/client:1')).toBe(false);
    expect(mine.patterns).toEqual(['docker-autograder/agrun1-*', 'docker-autograder/client:1-agrun1']);
  });

  it('narrow to a scope', () => {
    const scope = runReferences({ runId: 'ag1', scope: 'ag1-1' });
    expect(scope.matches(imageTag('ag1-1', 'app'))).toBe(true);
    expect(scope.matches(imageTag('ag1-12', 'app'))).toBe(false);
    expect(scope.matches('docker-autograder/client:1-ag1')).toBe(false);
  });

  it('of every run never take the stand-ins or foreign names', () => {
    const all = runReferences('allRuns');
    expect(all.matches(imageTag('ag1-1', 'app'))).toBe(true);
    expect(all.matches('docker-autograder/client:1-ag1')).toBe(true);
    expect(all.matches('docker-autograder/client:1')).toBe(false);
    expect(all.matches('docker-autograder/client:latest')).toBe(false);
    expect(all.matches('nginx:latest')).toBe(false);
    expect(all.matches('example.com/docker-autograder/ag1-1-app:latest')).toBe(false);
  });

  it('decide which builds go unlabelled', () => {
    expect(isRunReference(imageTag('ag1-1', 'app'), 'ag1')).toBe(true);
    expect(isRunReference('docker-autograder/ag1-1-app', 'ag1')).toBe(true);
    expect(isRunReference('myapp:1.0', 'ag1')).toBe(false);
    expect(isRunReference(imageTag('ag2-1', 'app'), 'ag1')).toBe(false);
  });
});

describe('the tags the grader builds under', () => {
  it("the client image's run-owned tag is the run's, another run's is not", () => {
    expect(clientImageTag('agRun1')).toBe('docker-autograder/client:1-agrun1');
    expect(runReferences({ runId: 'agRun1' }).matches(clientImageTag('agRun1'))).toBe(true);
    expect(runReferences({ runId: 'agRun1' }).matches(clientImageTag('agRun2'))).toBe(false);
  });

  it("any grader reference but the client stand-in is the gate's to hide from other runs", () => {
    expect(isGraderReference(imageTag('ag1-1', 'app'))).toBe(true);
    expect(isGraderReference(clientImageTag('ag1'))).toBe(true);
    expect(isGraderReference('docker-autograder/client:1')).toBe(false);
    expect(isGraderReference('busybox:latest')).toBe(false);
  });
});

describe('scoped names', () => {
  it("a name the gate scoped in any run's exercise is known by its form", () => {
    const scope = exerciseScope('agmf3k2x1a4b5c6', 1);
    expect(scope).toBe('agmf3k2x1a4b5c6-2');
    expect(isScopedName(resourceName(scope, 'web'))).toBe(true);
    expect(isScopedName('web')).toBe(false);
    expect(isScopedName('ag-web')).toBe(false);
  });

  it('a remote scope never makes a name of the local scope', () => {
    const scope = exerciseScope('ag1', 0);
    expect(resourceName(remoteScope(scope), 'web').startsWith(resourceName(scope, ''))).toBe(false);
  });
});
