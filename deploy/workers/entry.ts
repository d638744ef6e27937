// The Worker's entry: the dispatcher's Workers adapter (dispatcher/src/adapters/workers.ts) as is.
// `wrangler deploy` bundles it from here; the config and secrets come from wrangler.toml's bindings.
export { default, PendingDemandObject } from '../../dispatcher/src/adapters/workers';
