/**
 * What Softnet does with the arguments `tart run` hands it (docs/reference/tart-cli.md §3 run,
 * Networking): tart passes `--net-softnet-allow/-block/-expose` through as softnet's `--allow`,
 * `--block` and `--expose`, and softnet's argument parser (clap) checks each comma-separated value:
 * an IPv4 CIDR or the `@host` alias for allow/block, `EXTERNAL:INTERNAL` TCP ports for expose. A bad
 * value makes softnet exit at once with clap's error on the stderr it shares with tart; the VM loop
 * then ends and tart prints `RuntimeFailed(why: "Softnet process terminated prematurely")`, exit 1.
 */

/** softnet's clap value names, as its error messages show them. */
const CLAP_LABEL = {
  allow: "'--allow <comma-separated CIDRs or @-alias>'",
  block: "'--block <comma-separated CIDRs or @-alias>'",
  expose: "'--expose <comma-separated port specifications>'",
} as const;

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** ipnet's Ipv4Net::from_str: `a.b.c.d/len`, len ≤ 32; softnet adds `@host`. */
function targetError(value: string): string | undefined {
  if (value === '@host') return undefined;
  const [addr, len, ...rest] = value.split('/');
  const octets = (addr ?? '').split('.');
  const ok = rest.length === 0 && len !== undefined && /^\d{1,2}$/.test(len) && Number(len) <= 32 && octets.length === 4 && octets.every((o) => OCTET.test(o));
  return ok ? undefined : 'invalid IP address syntax';
}

/** softnet's ExposedPort::from_str. */
function exposeError(value: string): string | undefined {
  const parts = value.split(':');
  if (parts.length !== 2) return `invalid exposed port specification ${JSON.stringify(value)}, the format should be EXTERNAL:INTERNAL`;
  const port = (p: string): boolean => /^\+?\d{1,5}$/.test(p) && Number(p) <= 65_535;
  if (!port(parts[0] ?? '')) return `invalid external port ${JSON.stringify(parts[0])}`;
  if (!port(parts[1] ?? '')) return `invalid internal port ${JSON.stringify(parts[1])}`;
  return undefined;
}

/** The stderr of a failed softnet start followed by tart's own line, or undefined when softnet accepts the arguments. */
export function softnetStartError(options: { allow?: string; block?: string; expose?: string }): string | undefined {
  const checks = [
    ['allow', options.allow, targetError],
    ['block', options.block, targetError],
    ['expose', options.expose, exposeError],
  ] as const;
  for (const [flag, list, check] of checks) {
    if (list === undefined) continue;
    for (const value of list.split(',')) {
      const why = check(value);
      if (why !== undefined) {
        return `error: invalid value '${value}' for ${CLAP_LABEL[flag]}: ${why}\n\nFor more information, try '--help'.\n\nRuntimeFailed(why: "Softnet process terminated prematurely")`;
      }
    }
  }
  return undefined;
}
