/**
 * Message counters and their rates, kept the way RabbitMQ's management API reports them (`message_stats`).
 * The hot path only increments numbers; a sampler computes rates every few seconds (RabbitMQ samples every 5 s).
 */

export const COUNTERS = [
  'publish',
  'publish_in',
  'publish_out',
  'confirm',
  'deliver',
  'deliver_no_ack',
  'get',
  'get_no_ack',
  'get_empty',
  'redeliver',
  'ack',
  'return_unroutable',
  'drop_unroutable',
] as const;

export type Counter = (typeof COUNTERS)[number];

/** Counters of one object (queue, exchange, channel, or the whole broker). */
export class MessageStats {
  publish = 0;
  publish_in = 0;
  publish_out = 0;
  confirm = 0;
  deliver = 0;
  deliver_no_ack = 0;
  get = 0;
  get_no_ack = 0;
  get_empty = 0;
  redeliver = 0;
  ack = 0;
  return_unroutable = 0;
  drop_unroutable = 0;
  /**
   * Broker-wide only, outside COUNTERS (not in message_stats): publishes received on confirm-mode channels, and
   * publishes routed to at least one queue (once per message). Prometheus' rabbitmq_global_messages_* counters.
   */
  received_confirm = 0;
  routed = 0;
  /** Per-second rates over the last sample interval, by counter. */
  readonly rates: Record<Counter, number> = zeroRates();
  private readonly previous: Record<Counter, number> = zeroRates();

  /** Updates `rates` from the counts since the previous sample, `seconds` ago. */
  sample(seconds: number): void {
    for (const name of COUNTERS) {
      const now = this[name];
      this.rates[name] = seconds > 0 ? (now - this.previous[name]) / seconds : 0;
      this.previous[name] = now;
    }
  }

  /**
   * RabbitMQ's JSON shape: each non-zero counter `x` with `x_details: { rate }`; deliver_get, the sum of the
   * delivery kinds, as RabbitMQ reports it.
   */
  toJSON(): Record<string, number | { rate: number }> {
    const out: Record<string, number | { rate: number }> = {};
    for (const name of COUNTERS) {
      out[name] = this[name];
      out[`${name}_details`] = { rate: round(this.rates[name]) };
    }
    out.deliver_get = this.deliver + this.deliver_no_ack + this.get + this.get_no_ack;
    out.deliver_get_details = {
      rate: round(this.rates.deliver + this.rates.deliver_no_ack + this.rates.get + this.rates.get_no_ack),
    };
    return out;
  }
}

function zeroRates(): Record<Counter, number> {
  const out = {} as Record<Counter, number>;
  for (const name of COUNTERS) out[name] = 0;
  return out;
}

function round(rate: number): number {
  return Math.round(rate * 10) / 10;
}

/** Object churn counters, RabbitMQ's overview `churn_rates` (and the Prometheus *_opened/_closed totals). */
export const CHURN_COUNTERS = [
  'connection_created',
  'connection_closed',
  'channel_created',
  'channel_closed',
  'queue_declared',
  'queue_created',
  'queue_deleted',
] as const;

export type ChurnCounter = (typeof CHURN_COUNTERS)[number];

/** Why a queue dead-lettered a message (RabbitMQ's reasons). */
export type DeadLetterReason = 'expired' | 'rejected' | 'maxlen' | 'delivery_limit';

/** Broker-wide churn counters with rates sampled like MessageStats. */
export class ChurnStats {
  readonly counts: Record<ChurnCounter, number> = zeroChurn();
  /** Messages dead-lettered to a dead-letter exchange, by reason (Prometheus' rabbitmq_global_messages_dead_lettered_*). */
  readonly deadLettered: Record<DeadLetterReason, number> = { expired: 0, rejected: 0, maxlen: 0, delivery_limit: 0 };
  readonly rates: Record<ChurnCounter, number> = zeroChurn();
  private readonly previous: Record<ChurnCounter, number> = zeroChurn();

  sample(seconds: number): void {
    for (const name of CHURN_COUNTERS) {
      const now = this.counts[name];
      this.rates[name] = seconds > 0 ? (now - this.previous[name]) / seconds : 0;
      this.previous[name] = now;
    }
  }

  /** `{ x, x_details: { rate } }` for every counter. */
  toJSON(): Record<string, number | { rate: number }> {
    const out: Record<string, number | { rate: number }> = {};
    for (const name of CHURN_COUNTERS) {
      out[name] = this.counts[name];
      out[`${name}_details`] = { rate: round(this.rates[name]) };
    }
    return out;
  }
}

function zeroChurn(): Record<ChurnCounter, number> {
  const out = {} as Record<ChurnCounter, number>;
  for (const name of CHURN_COUNTERS) out[name] = 0;
  return out;
}
