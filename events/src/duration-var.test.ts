import { describe, expect, it } from 'vitest';
import { durationVar, millisecondsVar, secondsVar } from './duration-var.js';

const read = (schema: { parse(value: unknown): number }, value: string | undefined): number => schema.parse(value);

describe('durations in configuration: one notation (ms), bare numbers in the unit the variable always had', () => {
  it('reads a name without a unit in milliseconds, a bare number as seconds', () => {
    const timeout = durationVar('30m');
    expect(read(timeout, undefined)).toBe(1_800_000);
    expect(read(timeout, '45s')).toBe(45_000);
    expect(read(timeout, '2h')).toBe(7_200_000);
    expect(read(timeout, '1.5h')).toBe(5_400_000);
    expect(read(timeout, '90')).toBe(90_000);
  });

  it('reads *_SECONDS in whole seconds, from a bare number as before or a duration', () => {
    const ttl = secondsVar(3600, 60, 86_400);
    expect(read(ttl, undefined)).toBe(3600);
    expect(read(ttl, '900')).toBe(900);
    expect(read(ttl, '15m')).toBe(900);
    expect(read(ttl, '1d')).toBe(86_400);
    expect(() => read(ttl, '1500ms')).toThrow(/whole seconds/);
  });

  it('reads *_MS in milliseconds, from a bare number as before or a duration', () => {
    const delay = millisecondsVar(250, 0, 60_000);
    expect(read(delay, undefined)).toBe(250);
    expect(read(delay, '4000')).toBe(4_000);
    expect(read(delay, '4s')).toBe(4_000);
    expect(read(delay, '0')).toBe(0);
  });

  it('refuses what is not a duration, and what is out of bounds', () => {
    const delay = millisecondsVar(250, 0, 60_000);
    for (const bad of ['soon', '-5s', '5 s s', '1e3', '']) expect(() => read(delay, bad), bad).toThrow(/duration/);
    expect(() => read(delay, '2m')).toThrow(/between 0ms and 1m/);
    expect(() => read(durationVar('30s'), '10ms')).toThrow(/between 1s and 24d/);
  });

  it("refuses a duration past Node's timer limit, which would fire at once", () => {
    expect(read(durationVar('30s'), '24d')).toBe(24 * 86_400_000);
    expect(() => read(durationVar('30s'), '25d')).toThrow(/between 1s and 24d/);
  });
});
