// Test support: one users replica in its own process (its own services, its own per-process
// state), against the test's database, so the replicas test races real processes. SCENARIO
// `register`: ATTEMPTS concurrent registrations of new emails from address `<ADDRESS_PREFIX>0`;
// `login`: ATTEMPTS concurrent logins of EMAIL with wrong passwords, attempt i from address
// `<ADDRESS_PREFIX><i mod ADDRESSES>`; `refresh`:
// every token of TOKENS (JSON) exchanged at once. Prints each outcome: `OK:<refresh token>` or
// the error code.
import { createTestTokens, replicaFinish, replicaStart, testContext } from '@shop/platform/testing';
import { createUsersServices } from '../create-services.js';

const { SCENARIO, EMAIL, ADDRESS_PREFIX, ADDRESSES, ATTEMPTS, TOKENS, LIMITS } = process.env;
const services = createUsersServices(createTestTokens(), JSON.parse(LIMITS ?? '{}'));
const from = (clientIp: string) => ({ ...testContext(null, services), clientIp });
const outcome = (call: Promise<{ refreshToken: string }>) =>
  call.then(
    (result) => `OK:${result.refreshToken}`,
    (error) => String(error.extensions?.code ?? error.message),
  );

await replicaStart();
const outcomes =
  SCENARIO === 'register'
    ? await Promise.all(
        Array.from({ length: Number(ATTEMPTS) }, (_, i) =>
          outcome(
            services.auth.register(from(`${ADDRESS_PREFIX}0`), {
              email: `new-${process.pid}-${i}@example.com`,
              password: 'a long enough password',
              firstName: 'New',
              lastName: 'Customer',
            }),
          ),
        ),
      )
    : SCENARIO === 'login'
      ? await Promise.all(
          Array.from({ length: Number(ATTEMPTS) }, (_, i) =>
            outcome(
              services.auth.login(from(`${ADDRESS_PREFIX}${i % Number(ADDRESSES)}`), {
                email: EMAIL,
                password: `wrong guess ${process.pid} ${i}`,
              }),
            ),
          ),
        )
      : await Promise.all(
          (JSON.parse(TOKENS ?? '[]') as string[]).map((token) =>
            outcome(services.auth.refresh(from('10.1.1.1'), token)),
          ),
        );
await replicaFinish(outcomes);
