import { createFakeTart } from '../../fakes/fake-tart';
import { defineTartCliContract } from './tart-cli-contract';
import { createSimEnv } from '../../helpers/sim-env';

defineTartCliContract('in-memory fake (test/fakes/fake-tart.ts)', async () => ({ tart: createFakeTart(), close: async () => undefined }));

defineTartCliContract('createTartCli on the tart simulator', async () => {
  const env = await createSimEnv({ bootMs: 500 });
  return { tart: env.tart, close: () => env.close() };
});
