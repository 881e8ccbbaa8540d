import { TOPIC_PERMISSION_COMPONENT, USER_LIMITS_COMPONENT } from '../auth/access';
import type { Store } from '../store/store';
import { OPERATOR_POLICY_COMPONENT, POLICY_COMPONENT, type PolicyValue } from '../vhost/policies';
import { VHOST_LIMITS_COMPONENT, type VhostRegistry } from '../vhost/registry';
import type { VhostLimits } from '../vhost/vhost';
import { boundedJson } from './json';
import { formatParameter, formatPolicy } from './views/access';

export { OPERATOR_POLICY_COMPONENT, POLICY_COMPONENT, VHOST_LIMITS_COMPONENT };
export const GLOBAL_COMPONENT = 'global';

/** RabbitMQ keeps the cluster name as the global runtime parameter `cluster_name` (rabbit_nodes:set_cluster_name). */
export const CLUSTER_NAME_PARAMETER = 'cluster_name';

/** A runtime parameter as stored: component, vhost ('' for global ones), name and a JSON value. */
export interface Parameter {
  readonly component: string;
  readonly vhost: string;
  readonly name: string;
  readonly value: unknown;
}

/** A policy's stored value: pattern, apply-to, definition and priority (validated by the caller). */
export type Policy = PolicyValue;

/**
 * Components the broker keeps through their own routes (and in-memory state): /api/parameters neither lists nor
 * writes them. vhost-limits is the exception RabbitMQ makes visible: listed there and written through the
 * VhostRegistry, so the vhost's live limits follow.
 */
export const HIDDEN_COMPONENTS: ReadonlySet<string> = new Set([
  POLICY_COMPONENT,
  OPERATOR_POLICY_COMPONENT,
  GLOBAL_COMPONENT,
  TOPIC_PERMISSION_COMPONENT,
  USER_LIMITS_COMPONENT,
]);

/**
 * Runtime parameters, global parameters and policies, kept in the store; policies and vhost limits go through the
 * vhost registry, which applies them to the vhost's queues.
 */
export class ParameterAdmin {
  constructor(
    private readonly store: Store,
    private readonly registry: VhostRegistry,
    private readonly nodeName: string,
  ) {}

  /** Stored parameters of a component (optionally of one vhost). */
  of(component: string, vhost?: string): Parameter[] {
    return this.store.loadParameters().filter((p) => p.component === component && (vhost === undefined || p.vhost === vhost));
  }

  /** Every parameter /api/parameters shows: not a hidden component, not global. */
  visible(): Parameter[] {
    return this.store.loadParameters().filter((p) => !HIDDEN_COMPONENTS.has(p.component) && p.vhost !== '');
  }

  /** One stored parameter, or undefined. */
  find(component: string, vhost: string, name: string): Parameter | undefined {
    return this.store.loadParameters().find((p) => p.component === component && p.vhost === vhost && p.name === name);
  }

  put(p: Parameter): void {
    this.store.putParameter({ component: p.component, vhost: p.vhost, name: p.name, value: p.value });
  }

  delete(component: string, vhost: string, name: string): void {
    this.store.deleteParameter(component, vhost, name);
  }

  /** Sets (or with undefined, clears) a policy or operator policy; it applies to the vhost's queues at once. */
  setPolicy(component: string, vhost: string, name: string, value: Policy | undefined): void {
    this.registry.setPolicy(component, vhost, name, value);
  }

  /** Sets a vhost's limits through the registry (the vhost-limits component). */
  setVhostLimits(vhost: string, limits: Readonly<Record<string, number>>): void {
    this.registry.setLimits(vhost, limits as VhostLimits);
  }

  /** The cluster name: the stored `cluster_name` global parameter, else the node name (RabbitMQ's default). */
  clusterName(): string {
    const value = this.find(GLOBAL_COMPONENT, '', CLUSTER_NAME_PARAMETER)?.value;
    return typeof value === 'string' ? value : this.nodeName;
  }

  setClusterName(name: unknown): void {
    this.put({ component: GLOBAL_COMPONENT, vhost: '', name: CLUSTER_NAME_PARAMETER, value: name });
  }

  formatParameter(p: Parameter): Record<string, unknown> {
    return formatParameter(p);
  }

  formatGlobal(p: Parameter): Record<string, unknown> {
    return { name: p.name, value: boundedJson(p.value) };
  }

  formatPolicy(p: Parameter): Record<string, unknown> {
    return formatPolicy(p);
  }
}
