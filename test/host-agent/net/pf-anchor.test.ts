/**
 * The pf anchor `init` writes (exact text, default and custom inputs, input errors) and the block
 * rule `doctor` looks for in pf's normalised `pfctl -a tartfleet -s rules` output.
 */
import { describe, expect, it } from 'vitest';
import { hasBridgeBlockRule, mirrorPortsOf, renderPfAnchor } from '../../../host-agent/src/net/pf-anchor';
import { cacheConfigSchema } from '../../../host-agent/src/cache/cache-config-schema';
import { LOADED_ANCHOR_RULES } from '../../fakes/mac-shims';

const HEADER = (iface: string) => `# tartfleet: what guests on ${iface} may reach on this host. Written by \`tartfleet-agent init\`
# from the agent config; regenerate it rather than editing. Loaded from /etc/pf.conf by:
#   anchor "tartfleet"
#   load anchor "tartfleet" from "/etc/pf.anchors/tartfleet"
# Softnet filters guests by address, not port: without this a guest reaches every port the host
# listens on at the bridge address (docs/security.md). (${iface}) follows the bridge's address,
# which exists only while a VM runs.
`;

describe('renderPfAnchor', () => {
  it('renders the default anchor: DNS, DHCP and the mirror on 8480 pass, every other host port on bridge100 is blocked', () => {
    const mirrorPorts = mirrorPortsOf(cacheConfigSchema.parse({}));
    expect(mirrorPorts).toEqual([8480]);
    expect(renderPfAnchor({ bridgeInterface: 'bridge100', mirrorPorts })).toBe(`${HEADER('bridge100')}
# DNS and DHCP from vmnet (DHCP discovery is a broadcast, so no destination).
pass in quick on bridge100 proto { tcp, udp } to (bridge100) port 53
pass in quick on bridge100 proto udp to port 67
# The cache mirror (cache.listen).
pass in quick on bridge100 proto tcp to (bridge100) port 8480
# Every other port of the host. pf is stateful, so the host's own SSH sessions to guests
# (started from the host) still pass.
block in quick on bridge100 to (bridge100)
`);
  });

  it('renders a custom bridge and mirror ports (each once, in order), and no mirror line without the mirror', () => {
    const cache = cacheConfigSchema.parse({ listen: [{ address: '192.168.65.1', port: 9000 }, { address: '192.168.64.1', port: 8081 }, { address: '192.168.66.1', port: 9000 }] });
    expect(renderPfAnchor({ bridgeInterface: 'bridge101', mirrorPorts: mirrorPortsOf(cache) })).toBe(`${HEADER('bridge101')}
# DNS and DHCP from vmnet (DHCP discovery is a broadcast, so no destination).
pass in quick on bridge101 proto { tcp, udp } to (bridge101) port 53
pass in quick on bridge101 proto udp to port 67
# The cache mirror (cache.listen).
pass in quick on bridge101 proto tcp to (bridge101) port 8081
pass in quick on bridge101 proto tcp to (bridge101) port 9000
# Every other port of the host. pf is stateful, so the host's own SSH sessions to guests
# (started from the host) still pass.
block in quick on bridge101 to (bridge101)
`);
    const off = renderPfAnchor({ bridgeInterface: 'bridge100', mirrorPorts: mirrorPortsOf(undefined) });
    expect(off).toContain('pass in quick on bridge100 proto udp to port 67\n# No cache mirror (cache is off).\n# Every other port');
    expect(off).not.toContain('proto tcp to (bridge100) port');
  });

  it.each([
    [{ bridgeInterface: 'bridge100; pass all', mirrorPorts: [] }, `pf anchor: bridgeInterface must be an interface name like bridge100 (lowercase letters and digits ending in a digit, at most 15 characters), got "bridge100; pass all"`],
    [{ bridgeInterface: 'bridge', mirrorPorts: [] }, 'bridgeInterface must be an interface name like bridge100 (lowercase letters and digits ending in a digit, at most 15 characters), got "bridge"'],
    [{ bridgeInterface: 'bridge1000000000', mirrorPorts: [] }, 'got "bridge1000000000"'],
    [{ bridgeInterface: 'bridge100', mirrorPorts: [8480, 70000] }, 'pf anchor: mirrorPorts[1] must be an integer port from 1 to 65535, got 70000'],
    [{ bridgeInterface: 'bridge100', mirrorPorts: [0] }, 'mirrorPorts[0] must be an integer port from 1 to 65535, got 0'],
    [{ bridgeInterface: 'bridge100', mirrorPorts: [80.5] }, 'mirrorPorts[0] must be an integer port from 1 to 65535, got 80.5'],
  ])('refuses %j', (input, message) => {
    expect(() => renderPfAnchor(input)).toThrow(message);
  });
});

describe('hasBridgeBlockRule', () => {
  it("finds the block rule in pf's normalised listing, on the configured bridge only", () => {
    expect(hasBridgeBlockRule(LOADED_ANCHOR_RULES, 'bridge100')).toBe(true);
    expect(hasBridgeBlockRule('block drop in quick on bridge100 inet from any to (bridge100)\n', 'bridge100')).toBe(true);
    expect(hasBridgeBlockRule('block return in quick on bridge100 from any to (bridge100)', 'bridge100')).toBe(true);
    expect(hasBridgeBlockRule(LOADED_ANCHOR_RULES, 'bridge101')).toBe(false);
    expect(hasBridgeBlockRule(LOADED_ANCHOR_RULES, 'bridge10')).toBe(false);
  });

  it('does not take a pass rule, an outbound or non-quick block, or an empty listing for it', () => {
    expect(hasBridgeBlockRule(LOADED_ANCHOR_RULES.split('\n').slice(0, 4).join('\n'), 'bridge100')).toBe(false);
    expect(hasBridgeBlockRule('block drop out quick on bridge100 from any to (bridge100)', 'bridge100')).toBe(false);
    expect(hasBridgeBlockRule('block drop in on bridge100 from any to (bridge100)', 'bridge100')).toBe(false);
    expect(hasBridgeBlockRule('', 'bridge100')).toBe(false);
  });
});
