import { describe, expect, it } from 'vitest';
import { agentConfigSchema } from '../../../host-agent/src/config/schema';
import { guestConnectOptions, sshConfigWarnings } from '../../../host-agent/src/ssh/guest-connect-options';

const PIN = `SHA256:${'p'.repeat(43)}`;
const ssh = (settings: Record<string, unknown>) =>
  agentConfigSchema.parse({ hostId: 'h', secrets: ['s'.repeat(32)], stateDir: '/s', pools: [{ name: 'mac', image: 'base', labels: ['macos'] }], ssh: settings }).ssh;

describe('guest SSH options from the agent config', () => {
  it('pins the configured fingerprints by default and authenticates with the key', () => {
    const options = guestConnectOptions(ssh({ privateKeyFile: '/k', hostKeyFingerprint: [PIN, `SHA256:${'q'.repeat(43)}`] }), { host: '192.168.64.5', privateKey: 'KEY', deadlineMs: 1_000 });
    expect(options).toMatchObject({ host: '192.168.64.5', port: 22, username: 'admin', privateKey: 'KEY', hostKey: { mode: 'pinned', fingerprints: [PIN, `SHA256:${'q'.repeat(43)}`] } });
    expect(options).not.toHaveProperty('password');
    expect(sshConfigWarnings(ssh({ privateKeyFile: '/k', hostKeyFingerprint: PIN }))).toEqual([]);
  });

  it('says at start-up what is weaker than the defaults: a password, accept-new', () => {
    const warnings = sshConfigWarnings(ssh({ password: 'admin', hostKeyPolicy: 'accept-new' }));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^ssh.password is set: images hardened by packer\/scripts\/harden-sshd.sh refuse passwords/);
    expect(warnings[1]).toMatch(/^ssh.hostKeyPolicy is 'accept-new': any guest host key is trusted/);
    expect(guestConnectOptions(ssh({ password: 'admin', hostKeyPolicy: 'accept-new' }), { host: 'h', privateKey: undefined, deadlineMs: 1 }).hostKey).toEqual({ mode: 'accept-new' });
  });
});
