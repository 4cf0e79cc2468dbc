import { type AuthChecker, getMetadataStorage } from 'type-graphql';
import type { BaseContext, Role } from './auth.js';
import { ForbiddenError, UnauthenticatedError } from './errors.js';

/**
 * type-graphql auth checker: `@Authorized()` needs any signed-in principal,
 * `@Authorized('ADMIN')` one of the listed roles. Throws contract errors directly.
 */
export const authChecker: AuthChecker<BaseContext, Role> = ({ context }, roles) => {
  const principal = context.principal;
  if (!principal) throw new UnauthenticatedError();
  if (roles.length > 0 && !roles.includes(principal.role)) throw new ForbiddenError();
  return true;
};

const publicOperations = new WeakMap<object, Set<string>>();

/**
 * Marks a resolver method as open to anonymous callers (register, login, the catalog). With
 * `@Authorized(...)` on everything else, every operation states who may use it, and
 * `unguardedOperations` can prove that none was forgotten.
 */
export function Public(): MethodDecorator {
  return (target, key) => {
    const names = publicOperations.get(target.constructor) ?? new Set<string>();
    names.add(String(key));
    publicOperations.set(target.constructor, names);
  };
}

/** `Class.method` of each query, mutation, subscription or field resolver with neither `@Authorized` nor `@Public`. */
// biome-ignore lint/complexity/noBannedTypes: type-graphql takes resolver classes
export function unguardedOperations(resolvers: readonly Function[]): string[] {
  const storage = getMetadataStorage();
  const operations = [...storage.queries, ...storage.mutations, ...storage.subscriptions, ...storage.fieldResolvers];
  return operations
    .filter((operation) => resolvers.includes(operation.target))
    .filter((operation) => !storage.authorizedResolver.some((guard) => guard.target === operation.target))
    .filter(
      (operation) =>
        !storage.authorizedFields.some(
          (guard) => guard.target === operation.target && guard.fieldName === operation.methodName,
        ),
    )
    .filter((operation) => !publicOperations.get(operation.target)?.has(operation.methodName))
    .map((operation) => `${operation.target.name}.${operation.methodName}`);
}
