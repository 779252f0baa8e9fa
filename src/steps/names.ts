// Names of what a step creates: unique to the run and the exercise, valid for Docker.

export function imageTag(scope: string, stepName: string): string {
  return `docker-autograder/${dockerSafe(scope)}-${dockerSafe(stepName)}:latest`;
}

export function containerName(scope: string, stepName: string): string {
  return `${dockerSafe(scope)}-${dockerSafe(stepName)}`;
}

function dockerSafe(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-');
}
