/** What `init` prints last: what the dispatcher and GitHub need from this host, by name, never a secret's value. */
import { KEYCHAIN_SERVICE, type InitPlan } from './init-plan';
import { PF_ANCHOR_FILE, PF_CONF_LINES, PF_LOAD_COMMANDS } from '../net/pf-anchor';

/** Step 4: the pf anchor into place (unless init wrote it as root), /etc/pf.conf's two lines, pf loaded and enabled. */
function firewallStep(plan: InitPlan): string {
  const install = plan.pfAnchor.installed
    ? `   init, running as root, writes ${PF_ANCHOR_FILE}.\n`
    : `   Install the anchor init writes to the config folder (pf files belong to root):\n     sudo install -m 644 -o root -g wheel ${plan.pfAnchor.file} ${PF_ANCHOR_FILE}\n`;
  return `4. Host firewall (docs/security.md, "Host ports are the host firewall's job"): guests reach only
   DNS, DHCP and the cache mirror (when on) on this host; the anchor blocks every other port on the bridge.
${install}   Add these lines at the end of /etc/pf.conf (init never edits it), after its com.apple anchors:
${PF_CONF_LINES.map((l) => `     ${l}`).join('\n')}
   Then load and enable pf (enabling lasts until the next reboot; doctor's host-firewall check says when it is off):
${PF_LOAD_COMMANDS.map((c) => `     ${c}`).join('\n')}
`;
}

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
${firewallStep(plan)}`;
}
