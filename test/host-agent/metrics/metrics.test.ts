import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../host-agent/src/metrics/create-metrics';
import { promtoolCheckMetrics as promtoolCheck, sample } from '../../helpers/promtool';
import { buildTestApp, startBody } from '../../helpers/test-app';

describe('agent metrics', () => {
  it('GET /metrics passes promtool check metrics with nothing reported, after real traffic', async () => {
    const { app, signed, metrics } = buildTestApp();
    await signed('POST', '/v1/runners', startBody());
    await signed('GET', '/v1/runners/tf-macos-a1b2');
    await app.request('/v1/host');
    await app.request('/no/such/path');
    metrics.observer.stageEntered('macos', 'cloning', 'requested', 0.01);
    metrics.observer.vmBooted('macos', 17.5);
    metrics.observer.failed('booting', 'boot-timeout');
    metrics.observer.jobEnded('succeeded');
    metrics.observer.orphanReaped();
    metrics.observer.vmsChanged(1, { busy: 1, warm: 0, free: 1, suspect: 0 });
    metrics.slotCallback('timeout');

    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const check = await promtoolCheck(text);
    expect(check.output).toBe('');
    expect(check.code).toBe(0);
  });

  it('promtool does flag a badly named metric (the check can fail)', async () => {
    const check = await promtoolCheck('# HELP requests Requests.\n# TYPE requests counter\nrequests 1\n');
    expect(check.output).toContain('counter metrics should have "_total" suffix');
  });

  it('exposes the operator-facing series with the documented buckets and labels', async () => {
    const registry = new Registry();
    const { observer, slotCallback } = createMetrics(registry, { hostId: 'mini-7' });
    slotCallback('ok');
    slotCallback('ok');
    slotCallback('error');
    observer.vmBooted('macos', 12);
    observer.vmBooted('macos', 50);
    observer.stageEntered('macos', 'booting', 'cloning', 0.3);
    observer.failed('ssh-ready', 'ssh-timeout');
    observer.failed('ssh-ready', 'ssh-timeout');
    observer.jobEnded('failed');
    observer.orphanReaped();
    observer.vmsChanged(2, { busy: 2, warm: 0, free: 0, suspect: 1 });
    const text = await registry.metrics();

    expect(sample(text, 'runner_vm_boot_seconds_bucket{le="10",pool="macos"}')).toBe(0);
    expect(sample(text, 'runner_vm_boot_seconds_bucket{le="15",pool="macos"}')).toBe(1);
    expect(sample(text, 'runner_vm_boot_seconds_bucket{le="60",pool="macos"}')).toBe(2);
    expect(text).toMatch(/runner_vm_boot_seconds_bucket\{le="5",pool="macos"\} 0\n.*le="10".*\n.*le="15".*\n.*le="20".*\n.*le="25".*\n.*le="30".*\n.*le="45".*\n.*le="60".*\n.*le="\+Inf"/);
    expect(sample(text, 'runner_active_vms{host="mini-7"}')).toBe(2);
    expect(sample(text, 'runner_slots{state="busy"}')).toBe(2);
    expect(sample(text, 'runner_slots{state="suspect"}')).toBe(1);
    expect(sample(text, 'runner_slots{state="free"}')).toBe(0);
    expect(sample(text, 'runner_jobs_total{status="failed"}')).toBe(1);
    expect(sample(text, 'runner_jobs_total{status="succeeded"}')).toBe(0);
    expect(sample(text, 'runner_failures_total{stage="ssh-ready",reason="ssh-timeout"}')).toBe(2);
    expect(sample(text, 'runner_orphans_reaped_total')).toBe(1);
    expect(sample(text, 'runner_stage_duration_seconds_count{stage="cloning"}')).toBe(1);
    expect(sample(text, 'runner_slot_callbacks_total{result="ok"}')).toBe(2);
    expect(sample(text, 'runner_slot_callbacks_total{result="error"}')).toBe(1);
    expect(sample(text, 'runner_slot_callbacks_total{result="timeout"}')).toBe(0);
    expect(text).not.toContain('process_cpu');
    expect(text).not.toContain('nodejs_');
  });

  it('labels HTTP requests by route pattern, never by runner name or raw path', async () => {
    const { app, signed, registry } = buildTestApp();
    await signed('POST', '/v1/runners', startBody());
    await signed('GET', '/v1/runners/tf-macos-a1b2');
    await signed('GET', '/v1/runners/tf-macos-zz');
    await app.request('/wp-admin/../etc');
    await app.request('/healthz', { method: 'PROPFIND' });
    const text = await registry.metrics();
    expect(sample(text, 'agent_http_requests_total{method="POST",route="/v1/runners",status="202"}')).toBe(1);
    expect(sample(text, 'agent_http_requests_total{method="GET",route="/v1/runners/:name",status="200"}')).toBe(1);
    expect(sample(text, 'agent_http_requests_total{method="GET",route="/v1/runners/:name",status="404"}')).toBe(1);
    expect(sample(text, 'agent_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(sample(text, 'agent_http_requests_total{method="other",route="unmatched",status="404"}')).toBe(1);
    expect(text).not.toContain('tf-macos-a1b2');
    expect(text).not.toContain('wp-admin');
  });
});
