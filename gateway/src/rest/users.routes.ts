import { validate } from '@shop/platform';
import { Router } from 'express';
import { z } from 'zod';
import type { RunOperation } from './run-operation.js';

/** The REST `user` object: the contract's User fields, nothing more. */
const USER_FIELDS = 'id email firstName lastName role createdAt updatedAt';

interface RestUser {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: string;
  createdAt: string;
  updatedAt: string;
}

const REGISTER = `mutation Register($input: RegisterInput!) {
  register(input: $input) { token user { ${USER_FIELDS} } }
}`;

// Only the shape the GraphQL input needs; the users subgraph owns the rules (email, password length).
const registerBody = z.object({ email: z.string(), password: z.string(), firstName: z.string(), lastName: z.string() });

/** `/api/users/*`: legacy routes, each one GraphQL operation through the supergraph. */
export function usersRoutes(run: RunOperation): Router {
  const router = Router();

  router.post('/register', async (req, res) => {
    const input = validate(registerBody, req.body);
    const data = await run<{ register: { token: string; user: RestUser } }>(
      { query: REGISTER, variables: { input } },
      res,
    );
    res.status(201).json(data.register);
  });

  return router;
}
