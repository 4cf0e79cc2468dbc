import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum UserRole {
  CUSTOMER = 'CUSTOMER',
  ADMIN = 'ADMIN',
}
registerEnumType(UserRole, { name: 'Role' });

@Directive('@key(fields: "id")')
@ObjectType('User')
export class User {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  email!: string;

  @Field(() => String)
  firstName!: string;

  @Field(() => String)
  lastName!: string;

  /** E.164, for text messages; null when none is on file. */
  @Field(() => String, { nullable: true })
  phone!: string | null;

  @Field(() => Boolean, {
    description: 'Whether the owner confirmed this address with the link emailed to it (see requestEmailVerification).',
  })
  emailVerified!: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      'The address this account asked to change to (requestEmailChange), while the link emailed there works; null when none.',
  })
  pendingEmail!: string | null;

  @Field(() => Date, {
    nullable: true,
    description:
      'When the owner deleted the account (deleteMe): its address, names and phone are erased; orders and payments still ' +
      'name it. Null for an account in use.',
  })
  deletedAt!: Date | null;

  @Field(() => UserRole)
  role!: UserRole;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

/** Partial: only the fields given change. Email (requestEmailChange) and role are not changed here. */
@InputType('UpdateMeInput')
export class UpdateMeInput {
  @Field(() => String, { nullable: true })
  firstName?: string | null;

  @Field(() => String, { nullable: true })
  lastName?: string | null;

  /** E.164 (`+14155550100`); an empty string removes the number. */
  @Field(() => String, { nullable: true })
  phone?: string | null;
}

/** Internal to the platform's revocation check (gateway, subgraphs): never part of the public API. */
@Directive('@inaccessible')
@ObjectType('TokenVersion')
export class TokenVersion {
  @Field(() => ID)
  userId!: string;

  @Field(() => Int)
  version!: number;
}

/** The user must prove the current password; every other session and token of the account ends. */
@InputType('ChangePasswordInput')
export class ChangePasswordInput {
  @Field(() => String)
  currentPassword!: string;

  @Field(() => String)
  newPassword!: string;
}
