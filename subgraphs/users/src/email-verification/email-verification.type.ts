import { Field, InputType } from 'type-graphql';

@InputType('RequestEmailChangeInput')
export class RequestEmailChangeInput {
  /** Becomes the account's address once the link emailed to it is opened. */
  @Field(() => String)
  newEmail!: string;

  @Field(() => String)
  currentPassword!: string;
}
