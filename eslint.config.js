// Flat config. The import-boundary rules encode DESIGN §2: action-src → dispatcher → host-agent/src/api,
// and nothing outside host-agent/ (tests aside) reaches into the agent's internals, so the action bundle
// never pulls in ssh2, execa or prom-client.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const agentInternals = {
  group: ['**/host-agent/src/**', '!**/host-agent/src/api', '!**/host-agent/src/api/**'],
  message: 'Only host-agent/src/api/ (the contract and client) may be imported from outside host-agent/.',
};
const agentRuntimeDeps = ['ssh2', 'execa', 'prom-client', 'pino'].map((name) => ({
  name,
  message: `${name} belongs to the host agent; it must not reach this bundle.`,
}));

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
