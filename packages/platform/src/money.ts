import { DECIMAL_PATTERN } from '@shop/events';
import { GraphQLScalarType, Kind } from 'graphql';
import { BadUserInputError } from './errors.js';

/**
 * Money never passes through a binary float: amounts are integer cents in storage and
 * arithmetic, and canonical strings with two decimals ("19.99") on the GraphQL wire.
 */
export const MAX_CENTS = 9_999_999_999;

export function toCents(value: string): number {
  const text = value.trim();
  if (!DECIMAL_PATTERN.test(text)) {
    throw new BadUserInputError(`Invalid amount "${value}": expected a non-negative decimal with at most 2 places`);
  }
  const [whole = '0', fraction = ''] = text.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
}

export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents) || cents < 0) throw new RangeError(`Invalid cents value ${cents}`);
  const whole = Math.floor(cents / 100);
  const fraction = String(cents % 100).padStart(2, '0');
  return `${whole}.${fraction}`;
}

/** Anything decimal-like (a string, or Prisma's Decimal via toFixed) to the canonical string. */
export function normalizeDecimal(value: unknown): string {
  if (typeof value === 'string') return formatCents(toCents(value));
  if (typeof value === 'number') return formatCents(toCents(String(value)));
  if (value && typeof (value as { toFixed?: unknown }).toFixed === 'function') {
    return (value as { toFixed(places: number): string }).toFixed(2);
  }
  throw new TypeError(`Decimal cannot represent ${String(value)}`);
}

export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'An exact decimal amount, serialized as a string with two decimals ("19.99").',
  serialize: normalizeDecimal,
  parseValue: (value) => {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new BadUserInputError('Decimal must be a string like "19.99"');
    }
    return formatCents(toCents(String(value)));
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING && ast.kind !== Kind.FLOAT && ast.kind !== Kind.INT) {
      throw new BadUserInputError('Decimal must be a string like "19.99"');
    }
    return formatCents(toCents(ast.value));
  },
});
