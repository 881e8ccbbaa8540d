import { LENGTH_SERIES, type History, type Ranges } from '../../observability/history';

/*
 * JSON shapes of the management API's objects, with RabbitMQ's field names (see
 * shared/reference/management-api.md, section 2.3), built here so that the API reads plain objects only.
 */

/** What a request asked about sample histories, and when: see observability/history.ts. */
export interface FigureOptions {
  readonly ranges: Ranges;
  /** ms since the epoch. */
  readonly now: number;
}

export const NO_RANGES: FigureOptions = { ranges: {}, now: 0 };

/**
 * `messages`, `messages_ready`, `messages_unacknowledged` and their `_details` (rate from the sample history; with a
 * `lengths_*` range, samples, avg and avg_rate too).
 */
export function lengths(ready: number, unacked: number, history: History | undefined, options: FigureOptions): Record<string, unknown> {
  const values = { messages: ready + unacked, messages_ready: ready, messages_unacknowledged: unacked };
  const out: Record<string, unknown> = {};
  for (const name of LENGTH_SERIES) {
    out[name] = values[name];
    out[`${name}_details`] = history === undefined ? { rate: 0 } : history.details(name, options.ranges.lengths, options.now);
  }
  return out;
}
