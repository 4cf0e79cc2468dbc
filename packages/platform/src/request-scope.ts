/**
 * A value made once per request (DataLoaders): keyed on the request's context object, so it is
 * shared by every resolver and reference resolver of one request and never across requests.
 */
export function requestScoped<C extends object, T>(create: (ctx: C) => T): (ctx: C) => T {
  const values = new WeakMap<C, T>();
  return (ctx) => {
    let value = values.get(ctx);
    if (value === undefined) {
      value = create(ctx);
      values.set(ctx, value);
    }
    return value;
  };
}
