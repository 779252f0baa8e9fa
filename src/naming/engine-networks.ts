// Names of the networks the engine brings itself (`docker network ls` on a fresh engine), not the
// run's: never scoped, never labelled, never removed. Each reading below says which of them it
// means; the list itself is written once.

/** The networks every Docker engine creates. */
export const ENGINE_NETWORKS: ReadonlySet<string> = new Set(['bridge', 'host', 'none']);

/** A container's NetworkMode `default`: the engine's default network (bridge on Linux), not a network of its own. */
export const DEFAULT_NETWORK_MODE = 'default';

/**
 * The engine's networks a container may join by name (an exercise's `networks:`): all but `host`,
 * which would share the host's network namespace.
 */
export const JOINABLE_ENGINE_NETWORKS: ReadonlySet<string> = new Set(
  [...ENGINE_NETWORKS].filter((name) => name !== 'host'),
);

/**
 * A student's network mode or endpoint the gate forwards as it is, without resolving it to one of
 * the run's networks: the joinable engine networks and `default` (`host` is refused before).
 */
export const UNRESOLVED_NETWORK_MODES: ReadonlySet<string> = new Set([
  DEFAULT_NETWORK_MODE,
  ...JOINABLE_ENGINE_NETWORKS,
]);

/** A network reference the gate resolves to the engine's own network: any engine network, or `default`. */
export const ENGINE_NETWORK_REFERENCES: ReadonlySet<string> = new Set([
  ...ENGINE_NETWORKS,
  DEFAULT_NETWORK_MODE,
]);
