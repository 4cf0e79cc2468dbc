import { BadUserInputError, ConflictError, InsufficientStockError, NotFoundError } from '@shop/platform/core';
import { describe, expect, it } from 'vitest';
import { INTERNAL_PROBLEM, Problem, problemFromGraphqlError, toProblem } from './problem.js';

const problemFor = (code: string, message = 'message') => problemFromGraphqlError({ message, extensions: { code } });

describe('problem details', () => {
  it.each([
    ['BAD_USER_INPUT', 400],
    ['BAD_REQUEST', 400],
    ['UNAUTHENTICATED', 401],
    ['FORBIDDEN', 403],
    ['NOT_FOUND', 404],
    ['CONFLICT', 409],
    ['INSUFFICIENT_STOCK', 409],
    ['TOO_MANY_REQUESTS', 429],
  ])('maps %s to %i with its message as detail', (code, status) => {
    expect(problemFor(code, 'why')).toMatchObject({
      status,
      code,
      detail: 'why',
      type: expect.stringMatching(/^urn:/),
    });
  });

  it('answers anything else as a generic 500 that reveals nothing', () => {
    for (const code of ['INTERNAL_SERVER_ERROR', 'GRAPHQL_VALIDATION_FAILED', '']) {
      expect(problemFor(code, 'ECONNREFUSED 10.0.0.7:27017')).toEqual(INTERNAL_PROBLEM);
    }
    expect(toProblem(new Error('database exploded'))).toEqual(INTERNAL_PROBLEM);
    expect(INTERNAL_PROBLEM.detail).not.toMatch(/database|ECONN/);
  });

  it('lists the offending fields of a validation error', () => {
    const problem = toProblem(new BadUserInputError('Invalid input', [{ field: 'email', message: 'Invalid email' }]));
    expect(problem).toMatchObject({ status: 400, errors: [{ field: 'email', message: 'Invalid email' }] });
    expect(toProblem(new ConflictError('Email already registered'))).not.toHaveProperty('errors');
  });

  it("says which conflict, product and limit when the error does, and nothing else of the error's extensions", () => {
    const extensions = { reason: 'PURCHASE_LIMIT', productId: 'p-1', limit: 2, held: 2, inventory: 7 };
    expect(toProblem(new ConflictError('At most 2 of product p-1 per customer', extensions))).toEqual({
      type: 'urn:shop:problem:conflict',
      title: 'Conflict',
      status: 409,
      detail: 'At most 2 of product p-1 per customer',
      code: 'CONFLICT',
      reason: 'PURCHASE_LIMIT',
      productId: 'p-1',
      limit: 2,
    });
    const unpaid = new ConflictError('You hold 10 unpaid orders', { reason: 'UNPAID_ORDERS_LIMIT', limit: 10 });
    expect(toProblem(unpaid)).toMatchObject({ reason: 'UNPAID_ORDERS_LIMIT', limit: 10 });
    expect(toProblem(unpaid)).not.toHaveProperty('productId');
    expect(toProblem(new InsufficientStockError('p-2'))).toMatchObject({ status: 409, productId: 'p-2' });
    const plain = toProblem(new ConflictError('Email already registered'));
    for (const member of ['reason', 'productId', 'limit']) expect(plain).not.toHaveProperty(member);
    // Not what the members promise: left out rather than passed on.
    expect(toProblem(new ConflictError('odd', { productId: 7, limit: '2' }))).not.toHaveProperty('productId');
    expect(toProblem(new ConflictError('odd', { productId: 7, limit: '2' }))).not.toHaveProperty('limit');
  });

  it('maps thrown contract errors, problems and unreadable bodies', () => {
    expect(toProblem(new NotFoundError('User', 'u1'))).toMatchObject({ status: 404, detail: 'User u1 not found' });
    expect(toProblem(new Problem(problemFor('FORBIDDEN')))).toMatchObject({ status: 403 });
    const bodyParserError = Object.assign(new SyntaxError('Unexpected token'), {
      status: 400,
      type: 'entity.parse.failed',
    });
    expect(toProblem(bodyParserError)).toMatchObject({
      status: 400,
      code: 'BAD_REQUEST',
      detail: 'Malformed JSON body',
    });
  });
});
