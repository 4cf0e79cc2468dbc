import { NotFoundError } from '@shop/platform/core';
import { z } from 'zod';
import { accountDeletionBody, loginBody, newPasswordBody, passwordResetBody, registerBody } from './rest-inputs.js';
import { defineRoute, type RestRoute } from './rest-route.js';
import { authPayloadSchema, idParams, type RestUser, USER_FIELDS, userSchema } from './rest-shapes.js';

const REGISTER = `mutation RestRegister($input: RegisterInput!) {
  register(input: $input) { token user { ${USER_FIELDS} } }
}`;
const LOGIN = `mutation RestLogin($input: LoginInput!) {
  login(input: $input) { token user { ${USER_FIELDS} } }
}`;
const PASSWORD_RESET = 'mutation RestPasswordReset($email: String!) { requestPasswordReset(email: $email) }';
const NEW_PASSWORD = `mutation RestNewPassword($input: ResetPasswordInput!) {
  resetPassword(input: $input) { token user { ${USER_FIELDS} } }
}`;
const USER = `query RestUser($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`;
const DELETE_ME = 'mutation RestDeleteMe($currentPassword: String!) { deleteMe(currentPassword: $currentPassword) }';
const DELETE_USER = 'mutation RestDeleteUser($id: ID!) { deleteUser(id: $id) }';

type AuthPayload = { token: string; user: RestUser };

/** `/api/users/*`: each route one named GraphQL operation through the supergraph. */
export const usersRoutes: RestRoute[] = [
  defineRoute({
    method: 'post',
    path: '/users/register',
    operationId: 'registerUser',
    summary: 'Create a customer account',
    tag: 'users',
    access: 'public',
    body: registerBody,
    response: { status: 201, description: 'The new account and a token', schema: authPayloadSchema },
    errors: [400, 409],
    handle: async ({ body }, run) => {
      const data = await run<{ register: AuthPayload }>({ query: REGISTER, variables: { input: body } });
      return { status: 201, body: data.register };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/users/login',
    operationId: 'loginUser',
    summary: 'Exchange credentials for a token',
    tag: 'users',
    access: 'public',
    body: loginBody,
    response: { status: 200, description: 'The account and a token', schema: authPayloadSchema },
    errors: [400, 401],
    handle: async ({ body }, run) => {
      const data = await run<{ login: AuthPayload }>({ query: LOGIN, variables: { input: body } });
      return { status: 200, body: data.login };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/users/password-reset',
    operationId: 'requestPasswordReset',
    summary: 'Email a password reset link to the account of this address, if there is one',
    tag: 'users',
    access: 'public',
    body: passwordResetBody,
    response: {
      status: 202,
      description: 'Accepted, whether or not the address has an account (the answer never tells)',
      schema: z.object({ accepted: z.literal(true) }).meta({ id: 'PasswordResetAccepted' }),
    },
    errors: [400],
    handle: async ({ body }, run) => {
      await run<{ requestPasswordReset: boolean }>({ query: PASSWORD_RESET, variables: { email: body.email } });
      return { status: 202, body: { accepted: true } };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/users/password-reset/confirm',
    operationId: 'resetPassword',
    summary: "Set a new password with an emailed link's token (once, before it expires); signs in",
    tag: 'users',
    access: 'public',
    body: newPasswordBody,
    response: {
      status: 200,
      description: 'The account and a token; every other session has ended',
      schema: authPayloadSchema,
    },
    errors: [400, 401],
    handle: async ({ body }, run) => {
      const data = await run<{ resetPassword: AuthPayload }>({ query: NEW_PASSWORD, variables: { input: body } });
      return { status: 200, body: data.resetPassword };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/users/{id}',
    operationId: 'getUser',
    summary: 'One account: your own, or any for an admin',
    tag: 'users',
    access: 'user',
    params: idParams,
    response: { status: 200, description: 'The account', schema: userSchema },
    errors: [400, 401, 403, 404],
    handle: async ({ params }, run) => {
      const data = await run<{ user: RestUser | null }>({ query: USER, variables: { id: params.id } });
      if (!data.user) throw new NotFoundError('User', params.id);
      return { status: 200, body: data.user };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/users/me/deletion',
    operationId: 'deleteMyAccount',
    summary:
      'Delete your own account, after your current password: what it says about you is erased, your unpaid ' +
      'orders are cancelled, every token and session ends (an admin account is 409)',
    tag: 'users',
    access: 'user',
    body: accountDeletionBody,
    response: { status: 204, description: 'Deleted; its tokens stop working within the revocation delay' },
    errors: [400, 401, 409],
    handle: async ({ body }, run) => {
      await run<{ deleteMe: boolean }>({ query: DELETE_ME, variables: { currentPassword: body.currentPassword } });
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/users/{id}',
    operationId: 'deleteUser',
    summary: "Admins: delete a customer's account as its owner can (a support or privacy request)",
    tag: 'users',
    access: 'admin',
    params: idParams,
    response: { status: 204, description: 'Deleted, now or before' },
    errors: [400, 401, 403, 404, 409],
    handle: async ({ params }, run) => {
      await run<{ deleteUser: boolean }>({ query: DELETE_USER, variables: { id: params.id } });
      return { status: 204 };
    },
  }),
];
