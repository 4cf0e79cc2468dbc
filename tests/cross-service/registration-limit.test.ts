// Each gateway instance counts registrations per address on its own; the users subgraph counts them
// in its database, across all its replicas and whichever gateway a request came through. Here the
// gateway's own count is out of the way, as when one address's requests are spread over many
// gateway instances: the users subgraph's count still refuses past REGISTER_LIMIT_PER_IP (10).
import { expect, it } from 'vitest';
import { gatewayOverUsers } from './in-process.fixture.js';

const stack = gatewayOverUsers({ database: 'registration_limit', env: { REGISTER_LIMIT_PER_IP: '1000' } });

const account = (email: string) => ({ email, password: 'correct horse', firstName: 'New', lastName: 'Customer' });
const register = (email: string) =>
  fetch(`${stack.base}/api/users/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account(email)),
  });

it('refuses the registration past the limit from one address: REST 429 problem with Retry-After, GraphQL TOO_MANY_REQUESTS', async () => {
  for (let i = 0; i < 10; i++) expect((await register(`customer${i}@example.com`)).status).toBe(201);
  const refused = await register('customer10@example.com');
  expect(refused.status).toBe(429);
  expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(refused.headers.get('retry-after'))).toBe(3_600);
  expect(await refused.json()).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });

  const graphql = await fetch(`${stack.base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($input: RegisterInput!) { register(input: $input) { token } }',
      variables: { input: account('customer11@example.com') },
    }),
  });
  const answer = (await graphql.json()) as { errors: { extensions: Record<string, unknown> }[] };
  expect(answer.errors[0]?.extensions).toMatchObject({ code: 'TOO_MANY_REQUESTS', retryAfter: expect.any(Number) });
});
