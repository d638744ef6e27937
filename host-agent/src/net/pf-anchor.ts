/**
 * The host firewall's part of guest isolation (docs/security.md, "Host ports are the host
 * firewall's job"): Softnet filters a guest's traffic by address, not port, so a guest reaches every
 * port the Mac listens on at the vmnet bridge's address. This renders the pf anchor that leaves
 * guests DNS, DHCP and the cache mirror there and blocks the rest, plus what /etc/pf.conf needs to
 * load it, and recognises the anchor's block rule in `pfctl -a tartfleet -s rules`. Pure: `init`
 * writes the text, `doctor` checks what pf has loaded.
 */

export const PF_ANCHOR_NAME = 'tartfleet';
export const PF_ANCHOR_FILE = `/etc/pf.anchors/${PF_ANCHOR_NAME}`;
/** The vmnet bridge tart's VMs sit behind (192.168.64.1 is its address); it exists only while a VM runs. */
export const DEFAULT_BRIDGE_INTERFACE = 'bridge100';
/** A BSD interface name: letters then a unit number, at most 15 characters (IFNAMSIZ - 1). */
export const BRIDGE_INTERFACE_PATTERN = /^[a-z][a-z0-9]{0,13}[0-9]$/;
/** What /etc/pf.conf needs, after its own `com.apple` anchor lines. init prints them; it never edits pf.conf. */
export const PF_CONF_LINES = [`anchor "${PF_ANCHOR_NAME}"`, `load anchor "${PF_ANCHOR_NAME}" from "${PF_ANCHOR_FILE}"`] as const;
/** Load pf.conf (and with it the anchor), then enable pf (until the next reboot). */
export const PF_LOAD_COMMANDS = ['sudo pfctl -f /etc/pf.conf', 'sudo pfctl -E'] as const;

export interface PfAnchorInput {
  /** The vmnet bridge interface (hostFirewall.bridgeInterface). */
  bridgeInterface: string;
  /** The cache mirror's ports (cache.listen[].port); empty when the mirror is off. */
  mirrorPorts: readonly number[];
}

/** An input error naming the field, what it takes and what it got. */
function invalid(field: string, expected: string, received: unknown): Error {
  return new Error(`pf anchor: ${field} must be ${expected}, got ${JSON.stringify(received)}`);
}

function validate(input: PfAnchorInput): void {
  if (typeof input.bridgeInterface !== 'string' || !BRIDGE_INTERFACE_PATTERN.test(input.bridgeInterface)) {
    throw invalid('bridgeInterface', 'an interface name like bridge100 (lowercase letters and digits ending in a digit, at most 15 characters)', input.bridgeInterface);
  }
  input.mirrorPorts.forEach((port, i) => {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`mirrorPorts[${i}]`, 'an integer port from 1 to 65535', port);
  });
}

/** The mirror's ports from the agent's `cache` section (none when the mirror is off), each once, in order. */
export function mirrorPortsOf(cache: { listen: ReadonlyArray<{ port: number }> } | undefined): number[] {
  return [...new Set((cache?.listen ?? []).map((l) => l.port))].sort((a, b) => a - b);
}

/** The text of /etc/pf.anchors/tartfleet. Throws on an invalid interface name or port. */
export function renderPfAnchor(input: PfAnchorInput): string {
  validate(input);
  const on = `on ${input.bridgeInterface}`;
  const to = `to (${input.bridgeInterface})`;
  const mirror = [...new Set(input.mirrorPorts)].sort((a, b) => a - b).map((port) => `pass in quick ${on} proto tcp ${to} port ${port}`);
  return [
    `# tartfleet: what guests on ${input.bridgeInterface} may reach on this host. Written by \`tartfleet-agent init\``,
    '# from the agent config; regenerate it rather than editing. Loaded from /etc/pf.conf by:',
    ...PF_CONF_LINES.map((line) => `#   ${line}`),
    '# Softnet filters guests by address, not port: without this a guest reaches every port the host',
    `# listens on at the bridge address (docs/security.md). (${input.bridgeInterface}) follows the bridge's address,`,
    '# which exists only while a VM runs.',
    '',
    '# DNS and DHCP from vmnet (DHCP discovery is a broadcast, so no destination).',
    `pass in quick ${on} proto { tcp, udp } ${to} port 53`,
    `pass in quick ${on} proto udp to port 67`,
    ...(mirror.length > 0 ? ['# The cache mirror (cache.listen).', ...mirror] : ['# No cache mirror (cache is off).']),
    '# Every other port of the host. pf is stateful, so the host\'s own SSH sessions to guests',
    '# (started from the host) still pass.',
    `block in quick ${on} ${to}`,
    '',
  ].join('\n');
}

/**
 * Whether `pfctl -a tartfleet -s rules` (one rule a line, pf's normalised form, e.g.
 * `block drop in quick on bridge100 inet from any to (bridge100)`) holds the rule that closes the
 * host's ports to guests on `bridgeInterface`.
 */
export function hasBridgeBlockRule(rules: string, bridgeInterface: string): boolean {
  return rules.split('\n').some((line) => {
    const words = ` ${line.trim().replace(/\s+/g, ' ')} `;
    return line.trim().startsWith('block ') && words.includes(' in ') && words.includes(` quick on ${bridgeInterface} `) && words.includes(` to (${bridgeInterface}) `);
  });
}
