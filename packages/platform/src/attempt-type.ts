import { type ClassType, Field, ObjectType } from 'type-graphql';

/** What an idempotent mutation's `…Attempt` variant answers: its result, and whether it was a replay. */
export type Attempt<K extends string, T> = { [P in K]: T } & { replayed: boolean };

/**
 * The one way to declare an attempt type: `<name>Attempt { <field>: <name>!, replayed: Boolean! }`,
 * for the mutations whose REST shims answer 200 for a replayed idempotency key and 201 for new work.
 */
export function attemptType<K extends string, T extends object>(
  resultType: ClassType<T>,
  name: string,
  field: K,
  descriptions: { type: string; replayed: string },
): ClassType<Attempt<K, T>> {
  @ObjectType(`${name}Attempt`, { description: descriptions.type })
  class ResultAttempt {
    replayed!: boolean;
  }
  Field(() => resultType)(ResultAttempt.prototype, field);
  Field(() => Boolean, { description: descriptions.replayed })(ResultAttempt.prototype, 'replayed');
  return ResultAttempt as ClassType<Attempt<K, T>>;
}
