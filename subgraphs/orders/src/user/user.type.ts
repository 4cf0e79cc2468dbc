import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Stub of the users subgraph's entity; resolvable because orders contributes `User.orders`. */
@Directive('@key(fields: "id")')
@ObjectType('User')
export class User {
  @Field(() => ID)
  id!: string;
}
