import { BadUserInputError, ConflictError, NotFoundError } from '@shop/platform/core';
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

  it("says which conflict when the error does, and only its reason of the error's extensions", () => {
    const limit = new ConflictError('You hold 10 unpaid orders', { reason: 'UNPAID_ORDERS_LIMIT', limit: 10 });
    expect(toProblem(limit)).toEqual({
      type: 'urn:shop:problem:conflict',
      title: 'Conflict',
      status: 409,
      detail: 'You hold 10 unpaid orders',
      code: 'CONFLICT',
      reason: 'UNPAID_ORDERS_LIMIT',
    });
    expect(toProblem(new ConflictError('Email already registered'))).not.toHaveProperty('reason');
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
