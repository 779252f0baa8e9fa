// Paths as the Dockerfile's meaning compares them: build-context paths (relative) and paths in an
// image (absolute), each in one spelling so that `./app/` and `app` are the same file.
import path from 'node:path';

/** A build-context path: relative, without `./`, a leading `/` or a trailing `/`; the context itself is `.`. */
export function normaliseContextPath(value: string): string {
  const normalised = path.posix.normalize(`/${value}`).replace(/\/+$/, '');
  return normalised === '' ? '.' : normalised.slice(1);
}

/** An absolute path in an image: `/app/` and `/app/./` are `/app`. */
export function normaliseAbsolute(value: string): string {
  const normalised = path.posix.normalize(value.startsWith('/') ? value : `/${value}`);
  return normalised.length > 1 ? normalised.replace(/\/+$/, '') : normalised;
}
