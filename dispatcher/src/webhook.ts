/**
 * Reading a GitHub webhook delivery: signature over the raw body first (any of the configured
 * secrets, for rotation), then parsing. Nothing here acts on the payload.
 */
import { verify } from '@octokit/webhooks-methods';
import { z } from 'zod';

export const workflowJobEventSchema = z.object({
  action: z.string(),
  workflow_job: z.object({
    id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    run_id: z.number().int().nonnegative(),
    status: z.string(),
    labels: z.array(z.string()).max(100),
    created_at: z.string().nullish(),
    started_at: z.string().nullish(),
    /** The runner that took the job (in_progress, completed); null while queued. */
    runner_name: z.string().max(100).nullish(),
  }),
  repository: z.object({ full_name: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/) }),
});
export type WorkflowJobEvent = z.infer<typeof workflowJobEventSchema>;

const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

/** True when `signature` is `sha256=<hex HMAC of body>` under any of `secrets` (constant-time). */
export async function verifySignature(secrets: readonly string[], body: string, signature: string | undefined): Promise<boolean> {
  if (signature === undefined || !SIGNATURE.test(signature) || body.length === 0) return false;
  let ok = false;
  // Check every secret, not just until the first match, so timing says nothing about which one.
  for (const secret of secrets) if (await verify(secret, body, signature)) ok = true;
  return ok;
}

/** The JSON text of a delivery: raw JSON, or the `payload` field of a form-encoded one. */
export function deliveryJson(body: string, contentType: string | undefined): string | undefined {
  if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return new URLSearchParams(body).get('payload') ?? undefined;
  }
  return body;
}

export type ParsedDelivery = { ok: true; event: WorkflowJobEvent } | { ok: false; problem: string };

/** Parse a `workflow_job` delivery; the problem names the field and what was expected. */
export function parseWorkflowJob(json: string): ParsedDelivery {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return { ok: false, problem: 'body is not JSON' };
  }
  const parsed = workflowJobEventSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `workflow_job payload: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, event: parsed.data };
}
