import { Field, InputType, ObjectType } from 'type-graphql';
import { User } from '../user/user.type.js';

@ObjectType('AuthPayload')
export class AuthPayload {
  /** Short-lived access JWT for `Authorization: Bearer …`. */
  @Field(() => String)
  token!: string;

  /** Opaque, single-use: exchange it with `refreshToken` for a new pair before it expires. */
  @Field(() => String, { nullable: true })
  refreshToken?: string | null;

  @Field(() => User)
  user!: User;
}

@InputType('RegisterInput')
export class RegisterInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  password!: string;

  @Field(() => String)
  firstName!: string;

  @Field(() => String)
  lastName!: string;

  /** Optional, E.164 (`+14155550100`): where text messages go. */
  @Field(() => String, { nullable: true })
  phone?: string | null;
}

@InputType('LoginInput')
export class LoginInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  password!: string;
}
