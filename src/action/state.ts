// What the main step saves for the post step (the runner hands it back as STATE_* variables).

/** Set by the main step: the next start of the action's file is the post step. */
export const STATE_IS_POST = 'is-post';
/** The run the main step graded, whose leftovers the post step removes. */
export const STATE_RUN_ID = 'run-id';
/** The engine the main step graded on, for the post step's cleanup. */
export const STATE_DOCKER_HOST = 'docker-host';
