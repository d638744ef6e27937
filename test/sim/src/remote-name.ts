import { runtimeError } from './errors';

/** A parsed OCI reference `host[:port]/namespace[:tag|@sha256:…]` (tart's `OCI/Reference/Reference.g4`). */
export interface RemoteName {
  host: string;
  namespace: string;
  /** Tag, or undefined when `digest` is set. */
  tag: string | undefined;
  /** `sha256:<hex>` when pulled by digest. */
  digest: string | undefined;
}

/**
 * tart's grammar, read as a recursive descent (docs/reference/tart-cli.md §1 "Where things live"):
 *   root: host (':' port)? '/' namespace reference? EOF
 *   host: name ('-' name)* ('.' name ('-' name)*)*      port: DIGIT+
 *   namespace: (name separator?)+ ('/' (name separator?)+)*
 *   reference: ':' name (separator name)* | '@' name ':' name      name: [A-Za-z0-9]+
 * A host needs no dot: `acme/runner` is host `acme`, namespace `runner`, exactly as in tart.
 */
class Cursor {
  pos = 0;
  constructor(readonly s: string) {}
  peek(): string | undefined {
    return this.s[this.pos];
  }
  name(): string {
    const m = /^[A-Za-z0-9]+/.exec(this.s.slice(this.pos));
    if (m === null) this.fail('a letter or digit');
    this.pos += m[0].length;
    return m[0];
  }
  eat(c: string): boolean {
    if (this.peek() !== c) return false;
    this.pos += 1;
    return true;
  }
  expect(c: string): void {
    if (!this.eat(c)) this.fail(`'${c}'`);
  }
  fail(expecting: string): never {
    const at = this.peek();
    // The text after the colon is ANTLR's syntax error in tart; only the prefix is stable across versions.
    const what = at === undefined ? "'<EOF>'" : /[A-Za-z0-9.\-_:/@]/.test(at) ? `'${at}'` : undefined;
    throw new RemoteNameError(what === undefined ? `token recognition error at: '${at}' (character ${this.pos + 1})` : `mismatched input ${what} expecting ${expecting} (character ${this.pos + 1})`);
  }
}

/** The cause tart prints after `failed to parse remote name: `. */
export class RemoteNameError extends Error {
  override readonly name = 'RemoteNameError';
}

const isSeparator = (c: string | undefined): boolean => c === '.' || c === '-' || c === '_';
const isAlnum = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9]/.test(c);

function hostPart(c: Cursor): string {
  const parts = [c.name()];
  while (c.peek() === '-' || c.peek() === '.') parts.push(c.s[c.pos++] as string, c.name());
  return parts.join('');
}

function namespacePart(c: Cursor): string {
  const start = c.pos;
  do {
    c.name();
    if (isSeparator(c.peek())) c.pos += 1;
  } while (isAlnum(c.peek()));
  return c.s.slice(start, c.pos);
}

/** Parses a remote name like tart's `RemoteName.init`; throws RemoteNameError with the cause. */
export function parseRemoteNameStrict(name: string): RemoteName {
  const c: Cursor = new Cursor(name);
  let host = hostPart(c);
  if (c.eat(':')) {
    const port = /^[0-9]+/.exec(name.slice(c.pos));
    if (port === null) c.fail('a digit');
    c.pos += port[0].length;
    host += `:${port[0]}`;
  }
  c.expect('/');
  const components = [namespacePart(c)];
  while (c.eat('/')) components.push(namespacePart(c));
  let tag: string | undefined = 'latest';
  let digest: string | undefined;
  if (c.eat(':')) {
    const start = c.pos;
    c.name();
    while (isSeparator(c.peek())) {
      c.pos += 1;
      c.name();
    }
    tag = name.slice(start, c.pos);
  } else if (c.eat('@')) {
    const algorithm = c.name();
    c.expect(':');
    const hex = c.name();
    if (algorithm !== 'sha256') throw new RemoteNameError('unknown reference format');
    digest = `sha256:${hex}`;
    tag = undefined;
  }
  if (c.peek() !== undefined) c.fail("'<EOF>'");
  return { host, namespace: components.join('/'), tag, digest };
}

/** Parses a remote name, or returns undefined for a local name (tart then looks it up locally). */
export function parseRemoteName(name: string): RemoteName | undefined {
  try {
    return parseRemoteNameStrict(name);
  } catch (error: unknown) {
    if (error instanceof RemoteNameError) return undefined;
    throw error;
  }
}

/** Parses a name that must be remote (pull, push targets): `failed to parse remote name: …` (RuntimeError, exit 1). */
export function requireRemoteName(name: string): RemoteName {
  try {
    return parseRemoteNameStrict(name);
  } catch (error: unknown) {
    if (error instanceof RemoteNameError) throw runtimeError(`failed to parse remote name: ${error.message}`);
    throw error;
  }
}

/** `host/ns:tag` or `host/ns@sha256:…`. */
export function formatRemoteName(r: RemoteName): string {
  return r.digest !== undefined ? `${r.host}/${r.namespace}@${r.digest}` : `${r.host}/${r.namespace}:${r.tag ?? 'latest'}`;
}

/** tart percent-encodes `:` in the host for cache paths: `localhost:5000` → `localhost%3A5000`. */
export function encodeHost(host: string): string {
  return host.replace(/:/g, '%3A');
}
