import { createHmac, randomUUID } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import type { JobAction } from './job-engine';
import { ownerIdOf } from './serialize';
import type { FakeState } from './state';
import type { HookRecord, JobRecord } from './types';
import { workflowJobPayload } from './webhook-payload';

/** One delivery attempt, as the deliveries API lists it (plus what the fake keeps for redelivery). */
export interface DeliveryRecord {
  id: number;
  guid: string;
  hookId: number;
  deliveredAt: number;
  redelivery: boolean;
  durationMs: number;
  /** `OK`, `Invalid HTTP Response: 500`, `timed out`, … */
  status: string;
  statusCode: number;
  event: 'workflow_job';
  action: JobAction;
  installationId: number | null;
  repositoryId: number | null;
  jobId: number;
  /** The exact bytes sent (signature covers these). */
  body: string;
  requestHeaders: Record<string, string>;
  responseBody: string;
}

/** A delivery fault applied to the next `count` matching deliveries. */
export interface WebhookFault {
  kind: 'drop' | 'duplicate' | 'delay' | 'reorder';
  /** Only deliveries of this action (any when absent). */
  action?: JobAction;
  /** Default 1. For `reorder`: how many deliveries are held and then sent in reverse order (default 2). */
  count?: number;
  /** For `delay`. */
  delayMs?: number;
}

/** Sends `workflow_job` webhooks with GitHub's headers, signature and 10 s timeout. */
export interface WebhookSender {
  /** Subscribed to the job engine. */
  onJobEvent(action: JobAction, job: JobRecord): void;
  inject(fault: WebhookFault): void;
  deliveries(hookId?: number): DeliveryRecord[];
  /** Sends a recorded delivery again with the same GUID (`redelivery: true`). */
  redeliver(deliveryId: number): Promise<DeliveryRecord>;
  /** Resolves when every delivery started so far has finished. */
  idle(): Promise<void>;
  close(): void;
}

/** Collaborators of the sender. */
export interface WebhookSenderOptions {
  state: FakeState;
  timeoutMs: number;
  baseUrl(): string;
}

/** Creates the sender. Deliveries to one hook go out in event order unless a fault says otherwise. */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const { state } = options;
  const log: DeliveryRecord[] = [];
  const faults: Array<WebhookFault & { left: number }> = [];
  const chains = new Map<number, Promise<void>>();
  const pending = new Set<Promise<unknown>>();
  const held: Array<() => void> = [];
  let heldTarget = 0;
  let closed = false;

  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
    return p;
  };

  const hooksFor = (job: JobRecord): HookRecord[] => {
    const org = job.repo.split('/')[0] ?? '';
    return [...state.hooks.values()].filter((h) => {
      if (!h.events.includes('workflow_job') && !h.events.includes('*')) return false;
      if (h.targetType === 'repository') return h.target === job.repo;
      if (h.targetType === 'organization') return h.target === org;
      return [...state.installations.values()].some((i) => i.appId === h.appId && i.account.toLowerCase() === org.toLowerCase());
    });
  };

  const attempt = async (record: DeliveryRecord, hook: HookRecord): Promise<void> => {
    const started = Date.now();
    try {
      const res = await fetch(hook.url, { method: 'POST', headers: record.requestHeaders, body: record.body, signal: AbortSignal.timeout(options.timeoutMs) });
      record.statusCode = res.status;
      record.responseBody = (await res.text()).slice(0, 1024);
      record.status = res.ok ? 'OK' : `Invalid HTTP Response: ${res.status}`;
    } catch (error: unknown) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      record.statusCode = 0;
      record.status = timedOut ? 'We couldn’t deliver this payload: timed out' : `We couldn’t deliver this payload: ${error instanceof Error ? error.message : String(error)}`;
    }
    record.durationMs = Date.now() - started;
    record.deliveredAt = state.clock.now();
  };

  const build = async (hook: HookRecord, action: JobAction, job: JobRecord, guid: string, redelivery: boolean, body?: string): Promise<DeliveryRecord> => {
    const installation = hook.targetType === 'integration'
      ? [...state.installations.values()].find((i) => i.appId === hook.appId && i.account.toLowerCase() === job.repo.split('/')[0]?.toLowerCase())
      : undefined;
    const raw = body ?? JSON.stringify(workflowJobPayload(state, action, job, options.baseUrl(), installation?.id ?? null));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/2f9d8e1',
      'x-github-event': 'workflow_job',
      'x-github-delivery': guid,
      'x-github-hook-id': String(hook.id),
      'x-github-hook-installation-target-type': hook.targetType,
      'x-github-hook-installation-target-id': String(hook.targetType === 'integration' ? hook.appId : hook.targetType === 'repository' ? state.repos.get(hook.target) ?? 0 : ownerIdOf(hook.target)),
    };
    if (hook.secret) {
      headers['x-hub-signature-256'] = await sign(hook.secret, raw);
      // GitHub still sends the legacy SHA-1 signature beside the SHA-256 one.
      headers['x-hub-signature'] = `sha1=${createHmac('sha1', hook.secret).update(raw).digest('hex')}`;
    }
    return {
      id: state.nextId(), guid, hookId: hook.id, deliveredAt: state.clock.now(), redelivery, durationMs: 0, status: 'pending', statusCode: 0,
      event: 'workflow_job', action, installationId: installation?.id ?? null, repositoryId: state.repos.get(job.repo) ?? null, jobId: job.id,
      body: raw, requestHeaders: headers, responseBody: '',
    };
  };

  const takeFault = (action: JobAction): WebhookFault | undefined => {
    const f = faults.find((x) => !x.action || x.action === action);
    if (!f) return undefined;
    if (f.kind !== 'reorder') {
      f.left--;
      if (f.left <= 0) faults.splice(faults.indexOf(f), 1);
    }
    return f;
  };

  const releaseHeld = (): void => {
    for (const send of held.splice(0).reverse()) send();
  };

  const sender: WebhookSender = {
    onJobEvent(action, job) {
      if (closed) return;
      for (const hook of hooksFor(job)) {
        const fault = takeFault(action);
        const guid = randomUUID();
        // Build now: the payload is a snapshot of the job at this transition.
        const built = build(hook, action, job, guid, false);
        const send = (): Promise<void> => track(built.then(async (record) => {
          log.push(record);
          if (fault?.kind === 'drop') {
            record.status = 'Dropped by fault injection';
            return;
          }
          await attempt(record, hook);
          if (fault?.kind === 'duplicate') {
            const again = { ...record, id: state.nextId(), requestHeaders: { ...record.requestHeaders } };
            log.push(again);
            await attempt(again, hook);
          }
        }));
        if (fault?.kind === 'delay') {
          track(new Promise<void>((resolve) => setTimeout(() => void send().then(resolve, resolve), fault.delayMs ?? 1000)));
          continue;
        }
        if (fault?.kind === 'reorder') {
          const f = faults.find((x) => x === fault) as (WebhookFault & { left: number }) | undefined;
          if (heldTarget === 0) heldTarget = fault.count ?? 2;
          held.push(() => void send());
          if (held.length >= heldTarget) {
            heldTarget = 0;
            if (f) faults.splice(faults.indexOf(f), 1);
            releaseHeld();
          }
          continue;
        }
        const previous = chains.get(hook.id) ?? Promise.resolve();
        chains.set(hook.id, track(previous.then(send, send)));
      }
    },
    inject(fault) {
      faults.push({ ...fault, left: fault.count ?? 1 });
    },
    deliveries(hookId) {
      return log.filter((d) => hookId === undefined || d.hookId === hookId);
    },
    async redeliver(deliveryId) {
      const original = log.find((d) => d.id === deliveryId);
      if (!original) throw new Error(`redeliver: no delivery ${deliveryId}`);
      const hook = state.hooks.get(original.hookId);
      const job = state.jobs.get(original.jobId);
      if (!hook || !job) throw new Error(`redeliver: hook ${original.hookId} or job ${original.jobId} is gone`);
      const record = await build(hook, original.action, job, original.guid, true, original.body);
      log.push(record);
      await track(attempt(record, hook));
      return record;
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    close() {
      closed = true;
      releaseHeld();
    },
  };
  return sender;
}
