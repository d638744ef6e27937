/** Entry of the post step: wiring only; it warns and never fails the job. */
import * as core from '@actions/core';
import { actionsCore } from './actions-core';
import { errorMessage } from './errors';
import { runPost } from './post-step';

runPost(actionsCore, process.env).catch((error: unknown) => core.warning(`tartfleet post step: ${errorMessage(error)}`));
