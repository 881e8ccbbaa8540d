import type { DelayedScheduler } from '../delayed/scheduler';
import { AmqpError } from '../protocol/amqp-error';
import { ReplyCode } from '../protocol/generated/amqp';
import type { ChurnStats } from '../observability/stats';
import { deliveryModeOf, parseExpiration } from '../protocol/properties';
import type { DelayedRecord, Definitions, ParameterRecord, Store, VhostRecord } from '../store/store';
import { OPERATOR_POLICY_COMPONENT, POLICY_COMPONENT, type PolicyValue } from './policies';
import { VirtualHost, type VhostEvents, type VhostLimits } from './vhost';

export const VHOST_LIMITS_COMPONENT = 'vhost-limits';
const LIMITS_NAME = 'limits';

/** Told when a vhost is deleted, so connections to it can be closed. */
export type VhostDeleted = (name: string) => void;

/** The broker's virtual hosts: their records in the store and their live VirtualHost objects. */
export class VhostRegistry {
  private readonly vhosts = new Map<string, { record: VhostRecord; vhost: VirtualHost }>();
  private readonly deletedListeners: VhostDeleted[] = [];
  /** Most vhosts (RabbitMQ's vhost_max): creating one more is refused. */
  vhostMax = Infinity;

  constructor(
    private readonly store: Store,
    private readonly churn?: ChurnStats,
    private readonly delayed?: DelayedScheduler,
    private readonly events?: VhostEvents,
  ) {
    // Deliveries held while the store could not commit (Store.deliveriesHeld) go on once it can.
    store.onDeliveriesResumed?.(() => {
      for (const { vhost } of this.vhosts.values()) for (const queue of vhost.queues.values()) queue.scheduleDrain();
    });
  }

  /** Start-up: one VirtualHost per stored record, each with its durable definitions recovered. */
  load(records: readonly VhostRecord[], definitions: Definitions, parameters: readonly ParameterRecord[] = []): void {
    for (const record of records) {
      const vhost = new VirtualHost(record.name, this.store, this.churn, this.delayed, this.events);
      this.vhosts.set(record.name, { record, vhost });
    }
    // Policies first, so recovered queues start with the settings they had.
    for (const p of parameters) {
      const vhost = this.get(p.vhost);
      if (vhost === undefined) continue;
      if (p.component === VHOST_LIMITS_COMPONENT) vhost.limits = p.value as VhostLimits;
      if (p.component === POLICY_COMPONENT || p.component === OPERATOR_POLICY_COMPONENT) {
        vhost.setPolicy(p.component, p.name, p.value as PolicyValue);
      }
    }
    for (const { vhost } of this.vhosts.values()) vhost.recover(definitions);
  }

  /** Stores a policy or operator policy (value) or deletes it (undefined) and applies the change to the vhost's queues. */
  setPolicy(component: string, vhostName: string, name: string, value: PolicyValue | undefined): void {
    if (value === undefined) this.store.deleteParameter(component, vhostName, name);
    else this.store.putParameter({ component, vhost: vhostName, name, value });
    this.get(vhostName)?.setPolicy(component, name, value);
  }

  /** Replaces a vhost's limits (max-connections, max-queues); an empty object clears them. */
  setLimits(name: string, limits: VhostLimits): boolean {
    const vhost = this.get(name);
    if (vhost === undefined) return false;
    vhost.limits = limits;
    if (Object.keys(limits).length === 0) this.store.deleteParameter(VHOST_LIMITS_COMPONENT, name, LIMITS_NAME);
    else this.store.putParameter({ component: VHOST_LIMITS_COMPONENT, vhost: name, name: LIMITS_NAME, value: limits });
    return true;
  }

  get(name: string): VirtualHost | undefined {
    return this.vhosts.get(name)?.vhost;
  }

  record(name: string): VhostRecord | undefined {
    return this.vhosts.get(name)?.record;
  }

  /** Queues across all vhosts (exclusive and server-named ones included, as RabbitMQ counts them). */
  queueCount(): number {
    let n = 0;
    for (const { vhost } of this.vhosts.values()) n += vhost.queues.size;
    return n;
  }

  list(): Array<{ record: VhostRecord; vhost: VirtualHost }> {
    return [...this.vhosts.values()];
  }

  /** Creates a vhost, or updates its description and tags; returns true when it was created. */
  put(record: VhostRecord): boolean {
    const existing = this.vhosts.get(record.name);
    if (existing === undefined && this.vhosts.size >= this.vhostMax) {
      throw new AmqpError(
        ReplyCode.PreconditionFailed,
        `cannot create vhost '${record.name}': vhost limit of ${this.vhostMax} is reached`,
      );
    }
    this.store.putVhost(record);
    if (existing !== undefined) {
      existing.record = record;
      return false;
    }
    this.vhosts.set(record.name, {
      record,
      vhost: new VirtualHost(record.name, this.store, this.churn, this.delayed, this.events),
    });
    return true;
  }

  /** Deletes a vhost with everything in it; its connections are closed by the listeners. */
  delete(name: string): boolean {
    const entry = this.vhosts.get(name);
    if (entry === undefined) return false;
    this.vhosts.delete(name);
    for (const listener of this.deletedListeners) listener(name);
    entry.vhost.destroy();
    this.store.deleteVhost(name);
    return true;
  }

  onDeleted(listener: VhostDeleted): void {
    this.deletedListeners.push(listener);
  }

  /**
   * A delayed message fell due (DelayedScheduler): it is routed through its exchange, if that still exists.
   * `redelivered`: it may have been routed and delivered before an unclean stop, so its entries start redelivered.
   */
  routeDelayed(record: DelayedRecord, redelivered: boolean): void {
    const expiration = parseExpiration(record.properties);
    this.get(record.vhost)?.routeDelayed(record.exchange, {
      id: 0,
      persistent: deliveryModeOf(record.properties) === 2,
      exchange: record.exchange,
      routingKey: record.routingKey,
      properties: record.properties,
      body: record.body,
      expiration: typeof expiration === 'number' ? expiration : -1,
      headers: undefined,
      ...(redelivered ? { redelivered } : undefined),
    });
  }
}
