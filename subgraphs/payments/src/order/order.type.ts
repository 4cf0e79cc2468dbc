import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Stub of the orders subgraph's entity; resolvable because this subgraph adds `Order.payment`. */
@Directive('@key(fields: "id")')
@ObjectType('Order')
export class Order {
  @Field(() => ID)
  id!: string;
}
