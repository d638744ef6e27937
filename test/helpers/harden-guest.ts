/**
 * Runs the image's real packer/scripts/harden-sshd.sh against a simulated guest's filesystem (its
 * home and /etc/ssh/sshd_config.d under the VM's guest root), with `sudo` running its command as
 * is and `sshd -t` accepted: the simulated sshd then reads the result as OpenSSH would.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './sim-env';

export function hardenGuest(guestRoot: string, agentPublicKey: string): void {
  const bin = mkdtempSync(path.join(tmpdir(), 'tf-harden-'));
  try {
    for (const [name, body] of [['sudo', 'exec "$@"'], ['sshd', 'exit 0']] as const) {
      writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`);
      chmodSync(path.join(bin, name), 0o755);
    }
    execFileSync('/bin/bash', [path.join(repoRoot, 'packer/scripts/harden-sshd.sh')], {
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        TF_SSH_USER: 'admin',
        TF_AGENT_SSH_PUBLIC_KEY: agentPublicKey.trim(),
        TF_GUEST_HOME: path.join(guestRoot, 'Users', 'admin'),
        TF_SSHD_CONFIG_DIR: path.join(guestRoot, 'etc', 'ssh', 'sshd_config.d'),
      },
      stdio: 'pipe',
    });
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}
