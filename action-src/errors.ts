/** The action's one error type: `input` errors name the input, what was expected and what was got. */
export class ActionError extends Error {
  override readonly name = 'ActionError';
  constructor(
    readonly code: 'input' | 'github' | 'placement' | 'agent' | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

export { errorMessage } from '../host-agent/src/api/error-message';
