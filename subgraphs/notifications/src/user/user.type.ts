import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Stub of the users subgraph's entity; resolvable because this subgraph adds `User.notifications`. */
@Directive('@key(fields: "id")')
@ObjectType('User')
export class User {
  @Field(() => ID)
  id!: string;
}
