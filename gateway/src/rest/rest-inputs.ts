import { DECIMAL_PATTERN } from '@shop/events';
import { COMMON_PASSWORDS, MAX_CENTS, NO_MAIL_DOMAIN, NO_MAIL_MESSAGE } from '@shop/platform/core';
import { z } from 'zod';

// The rules of what the shims accept. Each is one zod value that both validates a request and
// documents it in /api/openapi.json, so a client generated from the document sends only what
// the subgraphs take. Each rule is as strict as the subgraph rule behind it, in terms JSON Schema
// can say: lengths, patterns, formats, enums, ranges, multipleOf. Patterns are written once and
// read the same by JavaScript and by the Python of schemathesis (no \p{…}, no \s, whose
// meanings differ): every rule holds for the raw text, before the subgraph trims it.

/** The characters String.prototype.trim removes (the subgraphs trim before they check): control ones, and spaces. */
const CONTROL_BLANK = String.raw`\t\n\v\f\r`;
const SPACE = String.raw` \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff`;
const BLANK = CONTROL_BLANK + SPACE;
const NUL = String.raw`\u0000`;
/** Unicode category Cc, spelled out. */
const CONTROL = String.raw`\u0000-\u001f\u007f-\u009f`;

/**
 * At least one character that is not blank, and none `refused`: leading blanks (`blanks`, the
 * ones not refused), the first other character, then anything not refused. Each character has one
 * place in the pattern, so checking costs time linear in the length; `[^R]*[^R BLANK][^R]*`, as it
 * was, backtracked quadratically (7 s for 100 kB ending in a refused character).
 */
const filled = (refused: string, blanks: string) => new RegExp(`^[${blanks}]*[^${refused}${BLANK}][^${refused}]*$`);

/** `abort`: an over-long string is refused without running the pattern over it. */
const required = (max: number, refused: string, blanks: string, message: string) =>
  z.string().max(max, { abort: true }).regex(filled(refused, blanks), message);

/** Free text, possibly empty; PostgreSQL text cannot hold U+0000. */
const optionalText = (max: number) =>
  z
    .string()
    .max(max, { abort: true })
    .regex(new RegExp(`^[^${NUL}]*$`), 'must not contain NUL characters');

// ── users (the users subgraph: user.service.ts, password-policy.ts, auth.service.ts) ──

/**
 * zod's own e-mail pattern, the one the users subgraph checks, said to the document as a pattern
 * (not as `format: email`, whose checkers also cap the local part at 64 characters; zod does not).
 */
export const email = z
  .string()
  .max(254, { abort: true })
  .regex(z.regexes.email, 'must be an email')
  .meta({ example: 'ada@example.com' });
/** An address for a new account: one that receives mail (NO_MAIL_DOMAIN, spelled out for the document). */
const accountEmail = email
  .refine((value) => !NO_MAIL_DOMAIN.test(value), NO_MAIL_MESSAGE)
  .meta({ not: { pattern: String.raw`\.[iI][nN][vV][aA][lL][iI][dD]$` } });
/** A person's name: control characters end up in e-mails and invoices. */
const personName = required(100, CONTROL, SPACE, 'is required, without control characters');
const phone = z
  .string()
  .regex(/^(\+[1-9]\d{6,14})?$/, 'must be an E.164 number such as +14155550100, or empty')
  .meta({ description: 'E.164, e.g. +14155550100; receives SMS notifications. Empty means none.' });

/** A password a user chooses (password-policy.ts). */
const newPassword = z
  .string()
  .min(8)
  .max(128)
  .meta({
    description: 'At least 8 characters, and not a common password (compared lower-cased)',
    not: { enum: [...COMMON_PASSWORDS] },
  });

export const registerBody = z
  .object({
    email: accountEmail,
    password: newPassword,
    firstName: personName,
    lastName: personName,
    phone: phone.optional(),
  })
  .meta({ id: 'RegisterBody' });
/** A password given to be checked against the account's (auth.service.ts: a bound, no policy). */
const givenPassword = z.string().min(1).max(128);
export const loginBody = z.object({ email, password: givenPassword }).meta({ id: 'LoginBody' });
export const accountDeletionBody = z
  .object({ currentPassword: givenPassword })
  .meta({ id: 'AccountDeletionBody', description: "The account's current password, as for a login" });
export const passwordResetBody = z.object({ email }).meta({ id: 'PasswordResetBody' });
export const newPasswordBody = z
  .object({
    token: z.string().min(1).max(200).meta({ description: 'The token of the emailed link (after `#token=`)' }),
    newPassword,
  })
  .meta({ id: 'NewPasswordBody' });

// ── products (the products subgraph: product.service.ts, DECIMAL(10,2) prices) ──

const MAX_AMOUNT = MAX_CENTS / 100;
const TWO_PLACES = /^\d+(\.\d{1,2})?$/;

/**
 * A JSON number in 0…99999999.99 with at most two decimals → the Decimal string GraphQL takes.
 * The decimals are read from the number's own shortest form (what JSON carries), never from float
 * arithmetic (zod's multipleOf takes 0.5700000000000001); the document says it as `multipleOf`.
 */
export const moneyInput = z
  .number()
  .min(0)
  .max(MAX_AMOUNT)
  .refine((value) => TWO_PLACES.test(String(value)), 'must have at most two decimals')
  .transform(String)
  .meta({ description: 'Amount in the currency unit, at most two decimals', example: 19.99, multipleOf: 0.01 });

/** A price in a query string: the text of a Decimal. */
export const queryMoney = z
  .string()
  .regex(DECIMAL_PATTERN, `must be an amount up to ${MAX_AMOUNT} with at most two decimals`)
  .meta({ example: '19.99' });

export const productName = required(200, NUL, BLANK, 'is required, without NUL characters');
export const productDescription = optionalText(5000);
export const productCategory = required(100, NUL, BLANK, 'is required, without NUL characters');
const MAX_INVENTORY = 2_147_483_647;
export const productInventory = z.number().int().min(0).max(MAX_INVENTORY);
export const expectedInventory = productInventory.meta({
  description:
    'With inventory: set it only if the stock is still this count (else 409, with the current count), so reservations made since it was read are not overwritten',
});
export const inventoryChange = z.number().int().min(-MAX_INVENTORY).max(MAX_INVENTORY).meta({
  description:
    'Instead of inventory: add this many to the stock (negative to take away) in one atomic step; 409 if the stock would go below 0',
});
export const productPurchaseLimit = z.number().int().min(1).max(MAX_INVENTORY).nullable().meta({
  description:
    'The most units one customer may have in orders not cancelled, paid or awaiting payment; null: no limit (on PATCH, null removes it)',
});
/**
 * An http(s) URL that WHATWG URL parsing (the products subgraph's check) always takes: a host of
 * letter-digit-hyphen labels, the last starting with a letter (else it is read as an IPv4 address),
 * without `--` (an `xn--` label must be valid punycode), or a dotted IPv4 address; a port up to
 * 65535; then anything but NUL.
 */
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const LABEL = '[A-Za-z0-9]+(-[A-Za-z0-9]+)*';
const HOST = `(${LABEL}\\.)*[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*\\.?|${OCTET}(\\.${OCTET}){3}`;
const PORT = '(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})';
const IMAGE_URL = new RegExp(`^[hH][tT][tT][pP][sS]?://(${HOST})(:${PORT})?([/?#][^${NUL}]*)?$`);
export const productImages = z
  .array(z.string().max(2048, { abort: true }).regex(IMAGE_URL, 'must be an http(s) URL'))
  .max(20);
export const searchText = optionalText(200).min(1);

// ── orders (the orders subgraph: order-input.schema.ts) ──

export const orderLines = z
  .array(
    z.object({
      productId: z.guid('must be a product id'),
      quantity: z.number().int().min(1).max(1000).meta({ description: 'At most 1000 of one product per order' }),
    }),
  )
  .min(1)
  .max(50);
/** Stored by FerretDB, whose JSONB cannot hold U+0000. */
const addressLine = (max: number) => required(max, NUL, BLANK, 'is required, without NUL characters');
export const shippingAddress = z.object({
  street: addressLine(200),
  city: addressLine(100),
  state: addressLine(100),
  zipCode: addressLine(20),
  country: addressLine(100),
});

// ── payments (the payments subgraph: the simulated provider of the contract) ──

const PAYMENT_METHODS = ['card', 'paypal', 'bank_transfer', 'card_declined', 'card_timeout'] as const;
export const paymentMethod = z.enum(PAYMENT_METHODS);
export const orderIdText = required(64, NUL, BLANK, 'is required, without NUL characters');
/**
 * A header's value as HTTP carries it (RFC 9110 field-content without the obsolete obs-text):
 * visible ASCII at both ends, spaces and tabs only between; HTTP drops blanks at the ends, and
 * clients refuse to send them.
 */
export const idempotencyKey = z
  .string()
  .max(255, { abort: true })
  .regex(/^[!-~]([\t -~]*[!-~])?$/, 'is required: visible ASCII characters, spaces and tabs only between them');

/** A rule between fields of a body: checked, and said to the document as the JSON Schema `schema`. */
export interface FieldsRule {
  holds: (body: Record<string, unknown>) => boolean;
  field: string;
  message: string;
  schema: Record<string, unknown>;
}

/** `field` may be given only together with `other`. */
export const onlyWith = (field: string, other: string): FieldsRule => ({
  holds: (body) => body[field] === undefined || body[other] !== undefined,
  field,
  message: `only with ${other}`,
  schema: { anyOf: [{ not: { required: [field] } }, { required: [other] }] },
});

/** `field` and `other` are never given together. */
export const notWith = (field: string, other: string): FieldsRule => ({
  holds: (body) => body[field] === undefined || body[other] === undefined,
  field,
  message: `not with ${other}`,
  schema: { not: { required: [field, other] } },
});

/**
 * A body that changes something: at least one of its fields (unknown ones are dropped, so they do
 * not count), said to the document as `anyOf` one field required, and the `rules` between its fields.
 */
export const someOf = <S extends z.ZodRawShape>(shape: S, id: string, rules: FieldsRule[] = []) => {
  let body = z
    .object(shape)
    .partial()
    .refine((fields) => Object.keys(fields).length > 0, 'at least one field to change');
  for (const rule of rules) body = body.refine(rule.holds, { path: [rule.field], message: rule.message });
  const oneField = Object.keys(shape).map((field) => ({ required: [field] }));
  return body.meta({ id, anyOf: oneField, ...(rules.length > 0 && { allOf: rules.map((rule) => rule.schema) }) });
};
