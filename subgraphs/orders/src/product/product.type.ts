import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Stub of the products subgraph's entity: orders only points at it, never resolves it. */
@Directive('@key(fields: "id", resolvable: false)')
@ObjectType('Product')
export class Product {
  @Field(() => ID)
  id!: string;
}
