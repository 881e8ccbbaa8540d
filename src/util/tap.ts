/**
 * A live tail's subscriber (admin/tail.ts), as the publish pipeline sees it. Exchanges and queues hold a
 * `tappers` list that is undefined while nobody watches, so an untapped publish costs one field check. The list is
 * replaced, never changed in place, so a publish iterating it is never disturbed by a subscriber coming or going.
 */
export interface Tapper {
  /** A message went through: `routed` is how many queues took it (for an exchange), 1 for a queue. Must not throw. */
  tap(message: object, routed: number): void;
}

/** The list with `tapper` added. */
export function withTapper(list: readonly Tapper[] | undefined, tapper: Tapper): readonly Tapper[] {
  return list === undefined ? [tapper] : [...list, tapper];
}

/** The list without `tapper`; undefined when none is left, which puts the untapped fast path back. */
export function withoutTapper(list: readonly Tapper[] | undefined, tapper: Tapper): readonly Tapper[] | undefined {
  if (list === undefined) return undefined;
  const rest = list.filter((t) => t !== tapper);
  return rest.length === 0 ? undefined : rest;
}
