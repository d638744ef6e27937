/**
 * A journal double: the agent's runner records kept in memory. The file journal fsyncs every stage
 * move (nine per runner); 10,000 runners × 9 fsyncs measure the disk, not the fleet, and no agent
 * restarts during the benchmark.
 */
import type { Journal, JournalEntry } from '../../host-agent/src/journal/journal';

export function createMemoryJournal(): Journal {
  const entries = new Map<string, JournalEntry>();
  return {
    dir: '(memory)',
    load: () => [...entries.values()],
    save: async (entry) => void entries.set(entry.record.name, entry),
    remove: async (name) => void entries.delete(name),
    flush: async () => undefined,
  };
}
