import { describe, expect, it } from 'vitest';
import { RetryBudget } from './retry-budget.js';

describe('retry budget', () => {
  it('allows the per-second floor over ten seconds, plus its ratio of the requests, and forgets what is older', () => {
    let now = 1_000_000;
    const budget = new RetryBudget(0.2, 1, () => now);
    const withdrawn = (times: number) => Array.from({ length: times }, () => budget.withdraw()).filter(Boolean).length;
    // Ten seconds at one a second, with no request yet.
    expect(withdrawn(12)).toBe(10);
    // Fifty requests earn ten more.
    for (let i = 0; i < 50; i++) budget.deposit();
    expect(withdrawn(12)).toBe(10);
    // Five seconds on, all of that is still in the window.
    now += 5_000;
    expect(budget.withdraw()).toBe(false);
    // Ten seconds after it all, the window is empty again: the floor only.
    now += 5_000;
    expect(withdrawn(12)).toBe(10);
  });

  it('allows nothing with no floor and no requests', () => {
    expect(new RetryBudget(0.2, 0).withdraw()).toBe(false);
  });
});
