// Test support: one users replica in its own process (its own services, its own per-process
// state), against the test's database, so the replicas test races real processes. SCENARIO
// `login`: ATTEMPTS concurrent logins of EMAIL from CLIENT_IP with wrong passwords; `refresh`:
// every token of TOKENS (JSON) exchanged at once. Prints each outcome: `OK:<refresh token>` or
// the error code.
import { createTestTokens, replicaFinish, replicaStart, testContext } from '@shop/platform/testing';
import { createUsersServices } from '../create-services.js';

const { SCENARIO, EMAIL, CLIENT_IP, ATTEMPTS, TOKENS, LIMITS } = process.env;
const services = createUsersServices(createTestTokens(), JSON.parse(LIMITS ?? '{}'));
const context = { ...testContext(null, services), clientIp: CLIENT_IP ?? '127.0.0.1' };
const outcome = (call: Promise<{ refreshToken: string }>) =>
  call.then(
    (result) => `OK:${result.refreshToken}`,
    (error) => String(error.extensions?.code ?? error.message),
  );

await replicaStart();
const outcomes =
  SCENARIO === 'login'
    ? await Promise.all(
        Array.from({ length: Number(ATTEMPTS) }, (_, i) =>
          outcome(services.auth.login(context, { email: EMAIL, password: `wrong guess ${process.pid} ${i}` })),
        ),
      )
    : await Promise.all(
        (JSON.parse(TOKENS ?? '[]') as string[]).map((token) => outcome(services.auth.refresh(context, token))),
      );
await replicaFinish(outcomes);
