// Action entry. action.yml runs this file as `main` and as `post`; the state saved by the main
// step tells them apart. The real runner, GitHub and engine are passed in here.
import { createClient } from '../github/client';
import { withEngine } from '../grading/session';
import { actionsCore } from './actions-core';
import { run } from './main';
import { post } from './post';
import { STATE_IS_POST } from './state';

if (actionsCore.getState(STATE_IS_POST) === 'true') {
  void post(actionsCore);
} else {
  actionsCore.saveState(STATE_IS_POST, 'true');
  void run({ core: actionsCore, connectGitHub: createClient, withEngine });
}
