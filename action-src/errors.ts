import { TartfleetError } from '../core/errors';

/** The action's error (the project's one error shape, core/errors.ts): `input` errors name the input,
 * what was expected and what was got. */
export class ActionError extends TartfleetError {
  override readonly name = 'ActionError';
  constructor(
    override readonly code: 'input' | 'github' | 'placement' | 'agent' | 'timeout',
    message: string,
  ) {
    super(code, message, { retryable: code === 'placement' || code === 'timeout' });
  }
}

export { errorMessage } from '../core/errors';
