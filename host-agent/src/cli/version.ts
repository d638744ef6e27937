import { version } from '../../../package.json';

/** The agent's version (the package version), reported by `--version` and `GET /v1/host`. */
export const AGENT_VERSION: string = version;
