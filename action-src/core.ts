/**
 * The part of `@actions/core` the action uses, as an interface: the domain code takes it as a
 * dependency, so tests pass a recorder and only main.ts/post.ts touch the real module.
 */
export interface ActionCore {
  getInput(name: string): string;
  setSecret(value: string): void;
  setOutput(name: string, value: string): void;
  saveState(name: string, value: string): void;
  getState(name: string): string;
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  /** Appends markdown to the job summary. */
  summary(markdown: string): Promise<void>;
}
