/** Entry of the post step: wiring only; it warns and never fails the job. */
import * as core from '@actions/core';
import * as github from '@actions/github';
import { actionsCore } from './actions-core';
import { errorMessage } from './errors';
import { runPost } from './post-step';

runPost(actionsCore, github.context).catch((error: unknown) => core.warning(`tartfleet post step: ${errorMessage(error)}`));
