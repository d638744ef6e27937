import { generateKeyPair, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

/** What the fake puts into `.runner` (the real runner's RunnerSettings, camelCase as on disk). */
export interface RunnerSettingsFile {
  agentId: number;
  agentName: string;
  poolId: number;
  poolName: string;
  serverUrl: string;
  gitHubUrl: string;
  workFolder: string;
  ephemeral: boolean;
  disableUpdate: boolean;
}

/** A freshly minted JIT config: the encoded blob for the caller, the public parts for the fake. */
export interface MintedJitConfig {
  encoded: string;
  clientId: string;
  publicKeyPem: string;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const b64urlToB64 = (value: string): string => Buffer.from(value, 'base64url').toString('base64');

/**
 * Builds `encoded_jit_config` the way GitHub does: base64 of a JSON object whose keys are the runner's
 * config file names and whose values are base64 file contents (actions/runner `Runner.cs` writes each
 * key as a file). The RSA key is real so the runner can prove possession with a signed assertion.
 */
export async function mintJitConfig(settings: RunnerSettingsFile, authorizationUrl: string, keyBits: number): Promise<MintedJitConfig> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: keyBits });
  const jwk = privateKey.export({ format: 'jwk' });
  const rsaParams = {
    d: b64urlToB64(String(jwk.d)),
    dp: b64urlToB64(String(jwk.dp)),
    dq: b64urlToB64(String(jwk.dq)),
    exponent: b64urlToB64(String(jwk.e)),
    inverseQ: b64urlToB64(String(jwk.qi)),
    modulus: b64urlToB64(String(jwk.n)),
    p: b64urlToB64(String(jwk.p)),
    q: b64urlToB64(String(jwk.q)),
  };
  const clientId = randomUUID();
  const credentials = { scheme: 'OAuth', data: { clientId, authorizationUrl, requireFipsCryptography: 'True' } };
  const files = {
    '.runner': b64(JSON.stringify(settings, null, 2)),
    '.credentials': b64(JSON.stringify(credentials, null, 2)),
    '.credentials_rsaparams': b64(JSON.stringify(rsaParams)),
  };
  return {
    encoded: b64(JSON.stringify(files)),
    clientId,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/** Decodes an `encoded_jit_config` into its three parsed files (used by tests; the stand-in has its own copy). */
export function decodeJitConfig(encoded: string): { runner: RunnerSettingsFile; credentials: { scheme: string; data: { clientId: string; authorizationUrl: string } }; rsaParams: Record<string, string> } {
  const files = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Record<string, string>;
  const file = (name: string): unknown => {
    const value = files[name];
    if (value === undefined) throw new Error(`JIT config has no '${name}' entry, got keys ${Object.keys(files).join(', ')}`);
    return JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  };
  return {
    runner: file('.runner') as RunnerSettingsFile,
    credentials: file('.credentials') as { scheme: string; data: { clientId: string; authorizationUrl: string } },
    rsaParams: file('.credentials_rsaparams') as Record<string, string>,
  };
}
