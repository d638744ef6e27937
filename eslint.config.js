// Flat config. The import-boundary rules encode the dependency direction of docs/architecture.md:
// core ← host-agent, core ← dispatcher ← action-src. core is runtime-free (no node: modules), so the
// Workers bundle and the action can use it; nothing outside host-agent/ reaches into the agent, so
// the action bundle never pulls in ssh2, execa or prom-client.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const agentInternals = {
  group: ['**/host-agent/**'],
  message: 'The agent is reached through core/agent-api/ (its contract and client), never imported.',
};
const nodeOnly = { group: ['node:*'], message: 'core/ is runtime-free: it runs in Node, Workers and the action alike.' };
const agentRuntimeDeps = ['ssh2', 'execa', 'prom-client', 'pino'].map((name) => ({
  name,
  message: `${name} belongs to the host agent; it must not reach this bundle.`,
}));
// Every timer runs on the injected Clock (core/clock.ts), so tests drive deadlines with a fake one.
const realTimers = ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'].map((name) => ({ name, message: 'use the injected Clock (core/clock.ts) so tests can drive time' }));
const realTimerMembers = [{ object: 'AbortSignal', property: 'timeout', message: 'use deadlineSignal(clock, …) from core/deadline.ts' }];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'build/**', '**/*.d.ts', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly', crypto: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['core/**/*.ts', 'host-agent/src/**/*.ts', 'dispatcher/src/**/*.ts', 'action-src/**/*.ts'],
    ignores: ['core/clock.ts'],
    rules: {
      'no-restricted-globals': ['error', ...realTimers],
      'no-restricted-properties': ['error', ...realTimerMembers],
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: agentRuntimeDeps, patterns: [agentInternals, nodeOnly, { group: ['**/dispatcher/**', '**/action-src/**'], message: 'core/ depends on nothing of ours.' }] }],
    },
  },
  {
    files: ['action-src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: agentRuntimeDeps, patterns: [agentInternals] }],
    },
  },
  {
    files: ['dispatcher/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: agentRuntimeDeps.filter((d) => d.name !== 'prom-client' && d.name !== 'pino'), patterns: [agentInternals, { group: ['**/action-src/**'], message: 'The dispatcher must not depend on the action.' }] }],
    },
  },
);
