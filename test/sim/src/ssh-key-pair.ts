import { loadSsh2 } from './load-ssh2';

/**
 * An ed25519 key pair in OpenSSH format that ssh2 itself can read back. ssh2 1.17's
 * `generateKeyPairSync('ed25519')` strips leading zero bytes of the public key, so about 1 pair in
 * 256 is unreadable (mscdex/ssh2#1513); such a pair is drawn again.
 */
export function sshKeyPair(comment?: string): { private: string; public: string } {
  const { utils } = loadSsh2();
  for (let attempt = 0; attempt < 16; attempt++) {
    const keys = utils.generateKeyPairSync('ed25519', comment === undefined ? {} : { comment });
    if (!(utils.parseKey(keys.public) instanceof Error) && !(utils.parseKey(keys.private) instanceof Error)) return keys;
  }
  throw new Error('ssh2 produced no readable ed25519 key pair in 16 attempts');
}
