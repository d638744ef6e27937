import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

type Schema = { definitions: Record<string, { required?: string[] }> };
interface Example { action: string; workflow_job: Record<string, unknown>; repository: Record<string, unknown> }

const load = createRequire(import.meta.url);
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

/** The 8 real `workflow_job` payloads of @octokit/webhooks-examples. */
export const workflowJobExamples = (load('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: Example[] }>)
  .find((e) => e.name === 'workflow_job')?.examples ?? [];

function build(schema: Schema): (payload: { action: string }) => string[] {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(schema, 'webhooks');
  return (payload) => {
    const fn: ValidateFunction | undefined = ajv.getSchema(`webhooks#/definitions/workflow_job$${payload.action}`);
    if (!fn) return [`no schema for workflow_job$${payload.action}`];
    return fn(payload) ? [] : (fn.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
  };
}

const strictSchema = load('@octokit/webhooks-schemas/schema.json') as Schema;

/**
 * Keys the schema requires but at least one real example payload lacks (older deliveries predate
 * fields such as `run_attempt`). Computed from the examples, so the relaxation cannot grow silently.
 */
export const keysMissingFromRealExamples: Record<'workflow-job' | 'repository', string[]> = {
  'workflow-job': (strictSchema.definitions['workflow-job']?.required ?? []).filter((k) => workflowJobExamples.some((e) => !(k in e.workflow_job))),
  repository: (strictSchema.definitions.repository?.required ?? []).filter((k) => workflowJobExamples.some((e) => !(k in e.repository))),
};

const relaxedSchema = structuredClone(strictSchema);
for (const [def, keys] of Object.entries(keysMissingFromRealExamples)) {
  const d = relaxedSchema.definitions[def];
  if (d?.required) d.required = d.required.filter((k) => !keys.includes(k));
}

/** `definitions["workflow_job$<action>"]` of @octokit/webhooks-schemas, unchanged. */
export const validateWorkflowJobStrict = build(strictSchema);
/** The same, minus only the required keys real example payloads were seen without. */
export const validateWorkflowJob = build(relaxedSchema);
