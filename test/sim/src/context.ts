import type { Faults } from './faults';
import type { TartHome } from './tart-home';

/** What every command gets: its environment, TART_HOME, faults, output streams and clock. */
export interface Ctx {
  env: NodeJS.ProcessEnv;
  home: TartHome;
  faults: Faults;
  /** Writes to stdout. */
  out: (text: string) => void;
  /** Writes to stderr. */
  err: (text: string) => void;
  now: () => Date;
  /** The repository root (source of the guest image); see guest-image.ts. */
  repoRoot: string;
}
