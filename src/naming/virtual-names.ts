// Virtual names: the student's script says `web`, the engine holds `<scope>-web`
// (resourceName, src/naming/resource-names.ts), so that two gradings on one engine never collide. Names go
// to the engine scoped, and come back unscoped: in responses, error messages and streams.
import { resourceName } from './resource-names';

/** Container, network and volume names as the daemon accepts them. */
const OBJECT_NAME = /^\/?[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** An image id or id prefix, with or without `sha256:`. */
const IMAGE_ID = /^(sha256:)?[0-9a-f]{6,64}$/;

export interface ImageReference {
  repository: string;
  tag?: string;
  digest?: string;
}

/** `repo[:tag][@digest]`; the tag separator is the last colon after the last slash. */
export function parseImageReference(reference: string): ImageReference {
  const [named = '', digest] = reference.split('@', 2);
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const tagged = colon > slash;
  return {
    repository: tagged ? named.slice(0, colon) : named,
    ...(tagged ? { tag: named.slice(colon + 1) } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

export class VirtualNames {
  /** What every scoped name starts with. */
  readonly prefix: string;
  private readonly virtualOf = new Map<string, string>();

  constructor(readonly scope: string) {
    this.prefix = resourceName(scope, '');
  }

  /** The engine's name of a container, network or volume the student calls `name`. */
  real(name: string): string {
    const bare = name.replace(/^\//, '');
    const real = resourceName(this.scope, bare);
    this.virtualOf.set(real, bare);
    return real;
  }

  /** Whether `name` can be a container, network or volume name (so that it may be scoped). */
  isName(name: string): boolean {
    return OBJECT_NAME.test(name);
  }

  /** The engine's tag of an image the student tags `reference`; undefined for ids and digests. */
  realImage(reference: string): string | undefined {
    if (IMAGE_ID.test(reference)) return undefined;
    // Newer CLIs send the normalised form (docker.io/library/x) of what the student typed (x).
    const parsed = parseImageReference(reference.replace(/^(?:index\.)?docker\.io\/(?:library\/)?/, ''));
    if (parsed.digest !== undefined || parsed.repository === '') return undefined;
    const tag = parsed.tag ?? 'latest';
    const real = `${resourceName(this.scope, parsed.repository)}:${tag}`;
    this.virtualOf.set(real, `${parsed.repository}:${tag}`);
    return real;
  }

  /**
   * Text as the student should see it: every scoped name of this run's scope unscoped. Scoped
   * names contain the run id, so nothing else in the engine's answers starts with the prefix.
   */
  unscope(text: string): string {
    if (!text.includes(this.prefix)) return text;
    let result = text;
    // Exact names first (they keep the student's spelling), then anything else scoped.
    const known = [...this.virtualOf.entries()].sort((a, b) => b[0].length - a[0].length);
    for (const [real, virtual] of known) {
      if (virtual === real.slice(this.prefix.length)) continue;
      result = result.replace(new RegExp(`${escapeRegExp(real)}(?![A-Za-z0-9_.-])`, 'g'), virtual);
    }
    return result.split(this.prefix).join('');
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
