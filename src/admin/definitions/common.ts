import { OPERATOR_POLICY_COMPONENT, POLICY_COMPONENT } from '../../vhost/policies';
import { TOPIC_PERMISSION_COMPONENT, USER_LIMITS_COMPONENT, type AccessControl } from '../../auth/access';
import type { Store } from '../../store/store';
import type { VhostRegistry } from '../../vhost/registry';
import type { Json } from '../json';

/*
 * RabbitMQ's definitions file (GET/POST /api/definitions, rabbitmqctl export_definitions, load_definitions): users,
 * vhosts, permissions, topic permissions, runtime parameters, global parameters, policies, exchanges, queues and
 * bindings as one JSON document. See shared/reference/management-api.md, section 2.3, "definitions file".
 *
 * Policies, parameters and global parameters live in the store as runtime parameters:
 *   policies          {component: 'policy', vhost, name, value: {pattern, 'apply-to', definition, priority}}
 *   parameters        {component, vhost, name, value}   ('vhost-limits' also goes live through VhostRegistry)
 *   global parameters {component: 'global', vhost: '', name, value}
 * Topic permissions and user limits are runtime parameters too, but AccessControl owns them (and their cache).
 */

export const GLOBAL_PARAMETER_COMPONENT = 'global';
/**
 * Components not listed under parameters: those with their own section in the file, AccessControl's, and operator
 * policies (RabbitMQ's export leaves them out too).
 */
export const NOT_PARAMETERS = new Set([
  POLICY_COMPONENT,
  OPERATOR_POLICY_COMPONENT,
  GLOBAL_PARAMETER_COMPONENT,
  TOPIC_PERMISSION_COMPONENT,
  USER_LIMITS_COMPONENT,
]);
export const POLICY_APPLY_TO = ['all', 'queues', 'exchanges', 'classic_queues', 'quorum_queues', 'streams'];
export const VHOST_LIMIT_KEYS = ['max-connections', 'max-queues'];
export const USER_LIMIT_KEYS = ['max-connections', 'max-channels'];

/** What import and export work on: the broker's vhosts, users and store. The administrative service holds all three. */
export interface DefinitionsTarget {
  readonly vhosts: VhostRegistry;
  readonly access: AccessControl;
  readonly store: Store;
}

/** The product fields at the top of an export. */
export interface ProductInfo {
  readonly product: string;
  readonly version: string;
}

/** A definitions document that cannot be imported: a wrong type (the message names the key) or a refused item. */
export class DefinitionsError extends Error {
  override readonly name = 'DefinitionsError';
}

export type JsonObject = { [key: string]: Json };

export function isSystemExchange(name: string): boolean {
  return name === '' || name.startsWith('amq.');
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
