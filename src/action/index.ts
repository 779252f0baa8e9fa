// Action entry. action.yml runs this file as `main` and as `post`; the state saved by the main
// step tells them apart.
import * as core from '@actions/core';
import { run } from './main';
import { post } from './post';

const IS_POST = 'is-post';

if (core.getState(IS_POST) === 'true') {
  void post();
} else {
  core.saveState(IS_POST, 'true');
  void run();
}
