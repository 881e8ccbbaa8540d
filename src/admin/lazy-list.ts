/**
 * A listing whose items are built only when shown. A paged list of 10,000 queues needs every queue's name and sort
 * key but only one page of full views: building all 10,000 views (message stats, histories) for 100 rows took most
 * of the request. The management API's listing (management/listing.ts) filters, sorts and pages on `sources` when the
 * name and every sort key are cheap, and builds only the page; otherwise it builds everything, as before.
 */
export interface LazyList<S = unknown> {
  readonly sources: readonly S[];
  /** The dotted field names `field` can read without building the item. */
  readonly cheapFields: ReadonlySet<string>;
  /** A cheap field's value, equal to what the built item has there. */
  field(source: S, name: string): unknown;
  build(source: S): Record<string, unknown>;
}

export function isLazyList(value: unknown): value is LazyList {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'sources' in value && 'build' in value;
}
