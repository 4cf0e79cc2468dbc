import { describe, expect, it } from 'vitest';
import { AppError, dependencyOutage, ServiceUnavailableError } from './errors.js';

describe('dependencyOutage', () => {
  const databaseDown = new Error('connection refused');
  const outage = dependencyOutage((error) => error === databaseDown);

  it("is the database's own check, or a service that did not answer, anywhere in the chain of causes", () => {
    expect(outage(databaseDown)).toBe(true);
    expect(outage(new ServiceUnavailableError(new Error('POST http://products:3002/graphql')))).toBe(true);
    expect(outage(new Error('stock release failed', { cause: databaseDown }))).toBe(true);
    const wrapped = new Error('payment not applied', {
      cause: new Error('stock', { cause: new ServiceUnavailableError('x') }),
    });
    expect(outage(wrapped)).toBe(true);
  });

  it('is not a handler failing for its own reasons, or a contract refusal', () => {
    expect(outage(new Error('a bug'))).toBe(false);
    expect(outage(new AppError('NOT_FOUND', 'No such order'))).toBe(false);
    expect(outage(new Error('wrapped', { cause: new AppError('CONFLICT', 'Already paid') }))).toBe(false);
    expect(outage(undefined)).toBe(false);
    expect(outage('text')).toBe(false);
  });

  it('stops on a chain of causes that loops', () => {
    const looped = new Error('a') as Error & { cause?: unknown };
    looped.cause = looped;
    expect(outage(looped)).toBe(false);
  });
});
