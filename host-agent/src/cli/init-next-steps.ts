/** What `init` prints last: what the dispatcher and GitHub need from this host, by name, never a secret's value. */
import { KEYCHAIN_SERVICE, type InitPlan } from './init-plan';

export function initNextSteps(plan: InitPlan, pool: { name: string; labels: string[]; image: string }): string {
  const envName = `AGENT_SECRET_${plan.hostId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  const readSecret = plan.secretFile === undefined ? `security find-generic-password -s ${KEYCHAIN_SERVICE} -w` : `cat ${plan.secretFile}`;
  const url = `https://${plan.hostId}.example.com:${plan.listen.port}`;
  return `
Next steps (docs/deploy.md):
1. Dispatcher config: add this host to the pool (dispatcher/README.md, "Config"):
     pools:
       - name: ${pool.name}
         labels: [${pool.labels.join(', ')}]
         image: ${pool.image}
         hosts:
           - { url: ${url}, secret: env:${envName} }
   and give the dispatcher the secret ${envName}: its value is the output of \`${readSecret}\`.
   The URL must be HTTPS: set listen.tls in ${plan.configFile}, or put a TLS tunnel in front of ${plan.listen.host}:${plan.listen.port}.
2. GitHub, for the action (repository or organisation → Settings → Secrets and variables → Actions):
     variable TARTFLEET_HOSTS            ${url} (every host, comma-separated)
     variable TARTFLEET_APP_ID           the GitHub App's id
     secret   TARTFLEET_AGENT_SECRET     the same agent secret (\`${readSecret}\`)
     secret   TARTFLEET_APP_PRIVATE_KEY  the GitHub App's private key
3. The runner image must accept the SSH key ${plan.keyFile}.pub (in ~admin/.ssh/authorized_keys),
   or set ssh.password in ${plan.configFile} for images with a password login. Pin the image's SSH
   host key: set ssh.hostKeyFingerprint to its metadata's sshHostKeyFingerprint and remove
   ssh.hostKeyPolicy (or run init with --host-key-fingerprint).
`;
}
