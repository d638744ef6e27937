import type { LifecycleObserver } from '../../host-agent/src/service';

/** A LifecycleObserver that records every call, for assertions on stages, failures and counts. */
export interface RecordingObserver extends LifecycleObserver {
  stages: { pool: string; stage: string; previous: string | undefined }[];
  failures: { stage: string; reason: string }[];
  jobs: string[];
  boots: number[];
  orphans: number;
  lastCounts: { active: number; busy: number; warm: number; free: number; suspect: number } | undefined;
  starts: { pool: string; path: 'warm' | 'cold'; seconds: number }[];
  warm: Record<string, { ready: number; booting: number }>;
  handoffs: { pool: string; result: string }[];
}

/** Builds an empty RecordingObserver. */
export function createRecordingObserver(): RecordingObserver {
  const observer = {
    stages: [] as RecordingObserver['stages'],
    failures: [] as RecordingObserver['failures'],
    jobs: [] as string[],
    boots: [] as number[],
    orphans: 0,
    lastCounts: undefined as RecordingObserver['lastCounts'],
    starts: [] as RecordingObserver['starts'],
    warm: {} as RecordingObserver['warm'],
    handoffs: [] as RecordingObserver['handoffs'],
    runnerOnline(pool: string, path: 'warm' | 'cold', seconds: number) {
      observer.starts.push({ pool, path, seconds });
    },
    warmChanged(pool: string, ready: number, booting: number) {
      observer.warm[pool] = { ready, booting };
    },
    warmHandoff(pool: string, result: string) {
      observer.handoffs.push({ pool, result });
    },
    stageEntered(pool: string, stage: string, previous: string | undefined) {
      observer.stages.push({ pool, stage, previous });
    },
    vmBooted(_pool: string, seconds: number) {
      observer.boots.push(seconds);
    },
    failed(stage: string, reason: string) {
      observer.failures.push({ stage, reason });
    },
    jobEnded(status: string) {
      observer.jobs.push(status);
    },
    orphanReaped() {
      observer.orphans += 1;
    },
    vmsChanged(active: number, slots: { busy: number; warm: number; free: number; suspect: number }) {
      observer.lastCounts = { active, ...slots };
    },
  } satisfies RecordingObserver;
  return observer;
}
