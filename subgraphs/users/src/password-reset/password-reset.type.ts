import { Field, InputType } from 'type-graphql';

@InputType('ResetPasswordInput')
export class ResetPasswordInput {
  /** The token of the link `requestPasswordReset` emailed (after `#token=`). */
  @Field(() => String)
  token!: string;

  @Field(() => String)
  newPassword!: string;
}
