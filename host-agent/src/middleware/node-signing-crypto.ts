import { createHash, createHmac } from 'node:crypto';
import type { SigningCrypto } from '../../../core/agent-api/auth';

/** node:crypto's synchronous SHA-256 and HMAC for the agent's verifier: the same results as the
 * WebCrypto default, without a thread-pool hop per call on every /v1 request. */
export const nodeSigningCrypto: SigningCrypto = {
  sha256Hex: (data) => createHash('sha256').update(data).digest('hex'),
  hmacSha256Hex: (secret, data) => createHmac('sha256', secret).update(data).digest('hex'),
};
