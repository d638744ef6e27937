// Pure pieces of the simulator whose exact output tart's consumers parse: JSON and table
// formatting, relative dates, argument parsing, remote names and fault rules.
import { describe, expect, it } from 'vitest';
import { TartError } from './src/errors';
import { parseFaults } from './src/faults';
import { parseArgs, type CommandSpec } from './src/parse-args';
import { relativeTime } from './src/relative-time';
import { parseRemoteName, requireRemoteName } from './src/remote-name';
import { tartJson } from './src/tart-json';
import { textTable } from './src/text-table';

describe('tartJson (Foundation JSONEncoder .prettyPrinted)', () => {
  it('writes `"key" : value`, two-space indent and escapes `/`', () => {
    expect(tartJson([{ Name: 'ghcr.io/a/b:latest', Disk: 50, Running: false }], { shuffle: false })).toBe(
      '[\n  {\n    "Name" : "ghcr.io\\/a\\/b:latest",\n    "Disk" : 50,\n    "Running" : false\n  }\n]',
    );
  });

  it('varies key order between objects but always round-trips', () => {
    const value = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 };
    const orders = new Set(Array.from({ length: 30 }, () => Object.keys(JSON.parse(tartJson(value)) as object).join()));
    expect(orders.size).toBeGreaterThan(1);
    expect(JSON.parse(tartJson(value))).toEqual(value);
  });
});

describe('textTable (TextTable Style.plain, trimmed)', () => {
  it('pads columns to the widest cell, joins with one space, trims only the end', () => {
    expect(textTable(['Source', 'Name', 'State'], [['local', 'a', 'stopped'], ['OCI', 'ghcr.io/x:1', 'running']])).toBe(
      'Source Name        State  \nlocal  a           stopped\nOCI    ghcr.io/x:1 running',
    );
  });

  it('prints nothing for no rows', () => {
    expect(textTable(['Source'], [])).toBe('');
  });
});

describe('relativeTime (RelativeDateTimeFormatter .full, en_US)', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  it.each([
    [0, 'in 0 seconds'],
    [1, '1 second ago'],
    [59, '59 seconds ago'],
    [180, '3 minutes ago'],
    [3600, '1 hour ago'],
    [3 * 86400, '3 days ago'],
    [14 * 86400, '2 weeks ago'],
  ])('%i s ago → %s', (seconds, text) => {
    expect(relativeTime(new Date(now.getTime() - seconds * 1000), now)).toBe(text);
  });
});

describe('parseArgs (swift-argument-parser conventions)', () => {
  const spec: CommandSpec = { name: 'ip', usage: 'tart ip <name>', positionals: ['name'], options: { wait: 'wait' }, flags: ['quiet'], short: { q: 'quiet' } };
  it('accepts --opt value, --opt=value and options after positionals', () => {
    expect(parseArgs(spec, ['vm', '--wait', '5']).options.wait).toBe('5');
    expect(parseArgs(spec, ['--wait=7', 'vm']).positionals.name).toBe('vm');
    expect(parseArgs(spec, ['-q', 'vm']).flags.has('quiet')).toBe(true);
  });

  it.each([
    [['vm', '--nope'], "Unknown option '--nope'"],
    [['vm', '--wait'], "Missing value for '--wait <wait>'"],
    [[], "Missing expected argument '<name>'"],
    [['vm', 'extra'], "Unexpected argument 'extra'"],
  ])('%j is a usage error: %s', (argv, message) => {
    let caught: unknown;
    try {
      parseArgs(spec, argv);
    } catch (error: unknown) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TartError);
    expect([(caught as TartError).message, (caught as TartError).exitCode]).toEqual([message, 64]);
  });
});

describe('parseRemoteName', () => {
  it.each([
    ['ghcr.io/cirruslabs/macos-tahoe-base:latest', { host: 'ghcr.io', namespace: 'cirruslabs/macos-tahoe-base', tag: 'latest', digest: undefined }],
    ['localhost:5000/runner', { host: 'localhost:5000', namespace: 'runner', tag: 'latest', digest: undefined }],
    [`ghcr.io/a/b@sha256:${'0'.repeat(64)}`, { host: 'ghcr.io', namespace: 'a/b', tag: undefined, digest: `sha256:${'0'.repeat(64)}` }],
    ['acme/runner', { host: 'acme', namespace: 'runner', tag: 'latest', digest: undefined }],
    ['ghcr.io/a/b:1.2.3-RC-1', { host: 'ghcr.io', namespace: 'a/b', tag: '1.2.3-RC-1', digest: undefined }],
    ['127.0.0.1:8080/a/b', { host: '127.0.0.1:8080', namespace: 'a/b', tag: 'latest', digest: undefined }],
  ])('%s', (name, parsed) => {
    expect(parseRemoteName(name)).toEqual(parsed);
  });

  it('treats names without a host as local', () => {
    expect(parseRemoteName('tf-pool-1')).toBeUndefined();
  });

  // The cases of tart's RemoteNameTests: non-ASCII, `name:tag` without a host, a colon without a port, `..`.
  it.each(['debian:latest', '127.0.0.1:/a/b', 'ghcr.io/a/../b/c:latest', 'touché.fr/a/b:latest', 'ghcr.io/a/b:touché', 'ghcr.io/a/b@md5:00'])('rejects %s', (name) => {
    expect(parseRemoteName(name)).toBeUndefined();
  });

  it('says where the name stops parsing', () => {
    expect(() => requireRemoteName('nosuch')).toThrow("failed to parse remote name: mismatched input '<EOF>' expecting '/' (character 7)");
    expect(() => requireRemoteName('a/b+c')).toThrow("failed to parse remote name: token recognition error at: '+' (character 4)");
  });
});

describe('parseFaults', () => {
  it('reads fault, glob, probability and value; skips comments and blanks', () => {
    expect(parseFaults('# c\nclone-fail@tf-*%0.25=disk full; boot-hang\n\nslow-clone=800')).toEqual([
      { fault: 'clone-fail', glob: 'tf-*', probability: 0.25, value: 'disk full' },
      { fault: 'boot-hang', glob: undefined, probability: 1, value: undefined },
      { fault: 'slow-clone', glob: undefined, probability: 1, value: '800' },
    ]);
  });

  it('rejects a probability outside 0..1, naming the rule', () => {
    expect(() => parseFaults('boot-hang%1.5')).toThrow("fault rule 'boot-hang%1.5': probability must be a number in 0..1, got '1.5'");
  });
});
