import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

interface Extract {
  source: { version: string };
  operations: Record<string, { operationId: string; responses: Record<string, unknown> }>;
  components: { schemas: Record<string, unknown> };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const extract = JSON.parse(readFileSync(path.join(here, '../../fixtures/github/openapi-responses.json'), 'utf8')) as Extract;
// ajv-formats is CJS with a default export; under ESM interop it may arrive wrapped.
/**
 * OpenAPI 3.0 `nullable: true` next to an `enum` without `null` (GitHub's `job.conclusion`) means "or
 * null" in the description's intent and in GitHub's real responses; Ajv would reject null there.
 */
function allowNullInNullableEnums(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(allowNullInNullableEnums);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = allowNullInNullableEnums(v);
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
  if (out.nullable === true && out.type === undefined) {
    // `nullable` beside `allOf`/`$ref` (no `type`): Ajv refuses it; it means "this or null".
    const { nullable: _nullable, ...rest } = out;
    return { anyOf: [rest, { type: 'null' }] };
  }
  return out;
}
const components = allowNullInNullableEnums(extract.components) as Extract['components'];

const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

/** Validates bodies against the response schemas GitHub publishes (OpenAPI 3.0: `nullable` is honoured by Ajv). */
export function createOpenApiValidator(): {
  operations: string[];
  validate(operation: string, status: number, body: unknown): string[];
} {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const cache = new Map<string, ValidateFunction>();
  return {
    operations: Object.keys(extract.operations),
    validate(operation, status, body) {
      const op = extract.operations[operation];
      if (!op) return [`operation '${operation}' is not in the extracted OpenAPI description`];
      // Error statuses GitHub sends but does not document for an operation (404 on get-runner, 403 on
      // generate-jitconfig for the hosted group) carry its generic error bodies.
      const fallback = status === 422 ? { $ref: '#/components/schemas/validation-error-simple' } : status >= 400 ? { $ref: '#/components/schemas/basic-error' } : undefined;
      const schema = String(status) in op.responses ? op.responses[String(status)] : fallback;
      if (schema === undefined) return [`status ${status} is not documented for ${operation} (documented: ${Object.keys(op.responses).join(', ')})`];
      if (schema === null) return body === undefined || body === '' || body === null ? [] : [`${operation} ${status} has no body in the description, got one`];
      const key = `${operation} ${status}`;
      let fn = cache.get(key);
      if (!fn) {
        fn = ajv.compile({ ...(allowNullInNullableEnums(schema) as object), components });
        cache.set(key, fn);
      }
      return fn(body) ? [] : (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    },
  };
}
