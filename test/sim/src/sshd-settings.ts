/**
 * The few sshd settings the simulated guest honours, read as OpenSSH reads them from the image's
 * `/etc/ssh/sshd_config.d/*.conf` (name order; the first value of a keyword wins; keywords are
 * case-insensitive). A hardened image (packer/scripts/harden-sshd.sh) turns passwords off there.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { guestPaths } from './guest-image';

/** The first value of `keyword` in the guest's sshd_config.d, or undefined. */
function firstValue(guestRoot: string, keyword: string): string | undefined {
  const dir = path.join(guestRoot, guestPaths.sshDir, 'sshd_config.d');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.conf')).sort();
  } catch {
    return undefined;
  }
  for (const file of files) {
    for (const raw of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      const [key, value] = raw.trim().split(/\s+/, 2);
      if (key !== undefined && value !== undefined && !key.startsWith('#') && key.toLowerCase() === keyword.toLowerCase()) return value.toLowerCase();
    }
  }
  return undefined;
}

/** Whether the guest's sshd accepts passwords (OpenSSH's default: yes). */
export function passwordsAllowed(guestRoot: string): boolean {
  return firstValue(guestRoot, 'PasswordAuthentication') !== 'no' && firstValue(guestRoot, 'AuthenticationMethods') !== 'publickey';
}
