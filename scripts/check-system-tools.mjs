// Runs before the test suite (`npm test`) and in `.ci/run`: the tests drive real system tools
// where they exist on Linux (test/README.md, "Real components"). When one is missing, install its
// Debian package if this is root on a machine with apt-get (saying what it installs), else stop at
// once with the exact command, instead of failing half-way through the suite.
//
// Usage: node scripts/check-system-tools.mjs
//   TARTFLEET_TOOLS_NO_INSTALL=1  never install, only report (what a non-root user gets anyway)
//   TARTFLEET_TOOLS_PATH=<dirs>   search these ':'-separated folders instead of $PATH + sbin folders
// cfn-lint (the SAM template's test) is not packaged for Debian: it comes from PyPI through pipx.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** [command, Debian package, what uses it] */
const TOOLS = [
  ['ssh', 'openssh-client', 'the SSH tests and the simulator'],
  ['sshd', 'openssh-server', 'the real-sshd lifecycle tests'],
  ['nginx', 'nginx', 'the cache mirror tests'],
  ['promtool', 'prometheus', 'the metrics and alert-rule tests'],
  ['shellcheck', 'shellcheck', 'the guest and packer script tests'],
  ['packer', 'packer', 'the image template tests'],
  ['ip', 'iproute2', 'the simulator guests on 127.x addresses'],
  ['curl', 'curl', 'the guest scripts'],
  ['openssl', 'openssl', 'the TLS tests'],
  ['systemd-analyze', 'systemd', 'the systemd unit test (test/deploy/)'],
  ['chromium', 'chromium', 'the status page test in a real browser (test/e2e/status-page.test.ts)'],
];

function searchDirs() {
  const override = process.env.TARTFLEET_TOOLS_PATH;
  if (override !== undefined) return override.split(':').filter(Boolean);
  // sbin folders hold sshd and nginx; pipx and pyenv put cfn-lint in the home folders.
  return [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin', '/usr/local/sbin', path.join(homedir(), '.local/bin'), path.join(homedir(), '.pyenv/shims')];
}

function found(command, dirs) {
  return dirs.some((dir) => {
    try {
      accessSync(path.join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const CFN_LINT = ['cfn-lint', 'pipx', 'the AWS SAM template test (test/deploy/)'];

function missingTools() {
  const dirs = searchDirs();
  return [...TOOLS, CFN_LINT].filter(([command]) => !found(command, dirs));
}

const missing = missingTools();
if (missing.length > 0) {
  const needsCfnLint = missing.some(([command]) => command === 'cfn-lint');
  const packages = [...new Set([...missing.filter(([command]) => command !== 'cfn-lint').map(([, pkg]) => pkg), ...(needsCfnLint && !found('pipx', searchDirs()) ? ['pipx'] : [])])];
  const isRoot = process.getuid?.() === 0;
  const canInstall = isRoot && process.env.TARTFLEET_TOOLS_NO_INSTALL !== '1' && found('apt-get', searchDirs());
  if (!canInstall) {
    const list = missing.map(([command, , why]) => `${command} (${why})`).join(', ');
    const commands = [...(packages.length > 0 ? [`${isRoot ? '' : 'sudo '}apt-get install -y --no-install-recommends ${packages.join(' ')}`] : []), ...(needsCfnLint ? ['pipx install cfn-lint'] : [])];
    console.error(`npm test: missing system tools: ${list}. Install them with:\n${commands.map((c) => `  ${c}\n`).join('')}`.trimEnd());
    process.exit(1);
  }
  console.log(`npm test: installing ${[packages.length > 0 ? `Debian packages ${packages.join(' ')}` : '', needsCfnLint ? 'cfn-lint (pipx, from PyPI)' : ''].filter(Boolean).join(' and ')} (for ${missing.map(([command]) => command).join(', ')})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (packages.length > 0) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env });
  }
  if (needsCfnLint) execFileSync('pipx', ['install', 'cfn-lint'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  // The Debian nginx and prometheus packages start their services on install; the tests start their own.
  try {
    execFileSync('systemctl', ['stop', 'nginx', 'prometheus'], { stdio: 'ignore' });
  } catch {
    // No systemd (a container): nothing was started.
  }
  const still = missingTools();
  if (still.length > 0) {
    console.error(`npm test: still missing after apt-get install: ${still.map(([command]) => command).join(', ')}`);
    process.exit(1);
  }
}
// sshd refuses to start without its privilege-separation folder, which only its service creates.
if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true });
