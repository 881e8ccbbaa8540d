import { readFileSync } from 'node:fs';
import { OPERATOR_POLICY_COMPONENT, POLICY_COMPONENT, type PolicyValue } from '../../vhost/policies';
import { AmqpError } from '../../protocol/amqp-error';
import { VHOST_LIMITS_COMPONENT } from '../../vhost/registry';
import type { VhostLimits, VirtualHost } from '../../vhost/vhost';
import { MANAGEMENT_OWNER } from '../owner';
import { passwordOf } from '../users';
import { DefinitionsError, GLOBAL_PARAMETER_COMPONENT, isSystemExchange, VHOST_LIMIT_KEYS, type DefinitionsTarget } from './common';
import { limits, parseDocument } from './parse';

/*
 * Import: a definitions document applied to the broker (POST /api/definitions, the loadDefinitions setting at
 * start-up).
 */

export interface ImportOptions {
  /** POST /api/definitions/{vhost}: only parameters, policies, exchanges, queues and bindings, all into this vhost. */
  readonly vhost?: string;
}

/** How many items of each kind an import applied (exchanges named amq.* are skipped, as RabbitMQ does). */
export interface ImportSummary {
  vhosts: number;
  users: number;
  permissions: number;
  topicPermissions: number;
  parameters: number;
  globalParameters: number;
  policies: number;
  exchanges: number;
  queues: number;
  bindings: number;
}

/**
 * Imports a definitions document in RabbitMQ's order: vhosts, users, permissions, topic permissions, parameters,
 * global parameters, policies, exchanges, queues, bindings. The whole document is type-checked first (a wrong type
 * changes nothing); after that items are applied one by one and the first refused one stops the import, as in
 * RabbitMQ (what came before it stays). Existing equivalent entities are fine; an inequivalent one is refused with
 * the broker's reason. Unknown keys are ignored. Throws DefinitionsError.
 */
export function importDefinitions(target: DefinitionsTarget, document: unknown, options: ImportOptions = {}): ImportSummary {
  const defs = parseDocument(document, options.vhost);
  const summary: ImportSummary = {
    vhosts: 0,
    users: 0,
    permissions: 0,
    topicPermissions: 0,
    parameters: 0,
    globalParameters: 0,
    policies: 0,
    exchanges: 0,
    queues: 0,
    bindings: 0,
  };
  const { vhosts, access, store } = target;
  const vhostOf = (name: string, what: string): VirtualHost => {
    const vhost = vhosts.get(name);
    if (vhost === undefined) throw new DefinitionsError(`${what}: vhost '${name}' does not exist`);
    return vhost;
  };
  const userExists = (name: string, what: string): void => {
    if (access.getUser(name) === undefined) throw new DefinitionsError(`${what}: user '${name}' does not exist`);
  };

  for (const v of defs.vhosts) {
    const existing = vhosts.record(v.name);
    const defaultQueueType = v.defaultQueueType ?? existing?.defaultQueueType;
    vhosts.put({
      name: v.name,
      description: v.description ?? existing?.description ?? '',
      tags: v.tags ?? existing?.tags ?? [],
      ...(defaultQueueType === undefined ? {} : { defaultQueueType }),
    });
    summary.vhosts++;
  }

  for (const u of defs.users) {
    const existing = access.getUser(u.name);
    const { passwordHash, hashingAlgorithm } = passwordOf(existing, u, defs.defaultHashingAlgorithm);
    access.putUser({ name: u.name, passwordHash, hashingAlgorithm, tags: u.tags ?? existing?.tags ?? [] });
    if (u.limits !== undefined && Object.keys(u.limits).length > 0) access.setUserLimits(u.name, u.limits);
    summary.users++;
  }

  for (const p of defs.permissions) {
    const what = `permissions of user '${p.user}' in vhost '${p.vhost}'`;
    vhostOf(p.vhost, what);
    userExists(p.user, what);
    refused(what, () => access.setPermission(p));
    summary.permissions++;
  }

  for (const t of defs.topicPermissions) {
    const what = `topic permissions of user '${t.user}' on exchange '${t.exchange}' in vhost '${t.vhost}'`;
    vhostOf(t.vhost, what);
    userExists(t.user, what);
    refused(what, () => access.setTopicPermission(t));
    summary.topicPermissions++;
  }

  for (const p of defs.parameters) {
    const what = `parameter '${p.name}' of component '${p.component}' in vhost '${p.vhost}'`;
    vhostOf(p.vhost, what);
    if (p.component === VHOST_LIMITS_COMPONENT) vhosts.setLimits(p.vhost, limits(p.value, VHOST_LIMIT_KEYS, p.path) as VhostLimits);
    else if (p.component === OPERATOR_POLICY_COMPONENT) vhosts.setPolicy(p.component, p.vhost, p.name, p.value as PolicyValue);
    else store.putParameter({ component: p.component, vhost: p.vhost, name: p.name, value: p.value });
    summary.parameters++;
  }

  for (const g of defs.globalParameters) {
    store.putParameter({ component: GLOBAL_PARAMETER_COMPONENT, vhost: '', name: g.name, value: g.value });
    summary.globalParameters++;
  }

  for (const p of defs.policies) {
    vhostOf(p.vhost, `policy '${p.name}' in vhost '${p.vhost}'`);
    vhosts.setPolicy(POLICY_COMPONENT, p.vhost, p.name, p.value as unknown as PolicyValue);
    summary.policies++;
  }

  for (const x of defs.exchanges) {
    if (isSystemExchange(x.name)) continue;
    const vhost = vhostOf(x.vhost, `exchange '${x.name}'`);
    refused(undefined, () => vhost.declareExchange({ ...x, passive: false }));
    summary.exchanges++;
  }

  for (const q of defs.queues) {
    const vhost = vhostOf(q.vhost, `queue '${q.name}'`);
    refused(undefined, () => vhost.declareQueue({ ...q, passive: false, exclusive: false }, MANAGEMENT_OWNER));
    summary.queues++;
  }

  for (const b of defs.bindings) {
    const vhost = vhostOf(b.vhost, `binding of '${b.destination}' to '${b.source}'`);
    refused(undefined, () => {
      if (b.destinationType === 'queue') vhost.bindQueue(b.destination, b.source, b.routingKey, b.arguments, MANAGEMENT_OWNER);
      else vhost.bindExchange(b.destination, b.source, b.routingKey, b.arguments);
    });
    summary.bindings++;
  }
  return summary;
}

/**
 * The boot-time import (the loadDefinitions setting): reads and imports a definitions file. Every failure is an
 * Error whose message names the file and the problem.
 */
export function loadDefinitionsFile(target: DefinitionsTarget, path: string): ImportSummary {
  const fail = (problem: string): Error => new Error(`cannot load definitions from ${path}: ${problem}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw fail(e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : e.message);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw fail(`not valid JSON (${(err as Error).message})`);
  }
  try {
    return importDefinitions(target, document);
  } catch (err) {
    if (err instanceof DefinitionsError) throw fail(err.message);
    throw err;
  }
}

/** Runs one change, turning the broker's refusals (AmqpError, a bad permission expression) into DefinitionsErrors. */
function refused<T>(what: string | undefined, change: () => T): T {
  try {
    return change();
  } catch (err) {
    if (err instanceof DefinitionsError) throw err;
    // AMQP texts already name the entity ("inequivalent arg 'durable' for queue 'q' in vhost '/': ...").
    if (err instanceof AmqpError) throw new DefinitionsError(err.detail);
    if (err instanceof Error && what !== undefined) throw new DefinitionsError(`${what}: ${err.message}`);
    throw err;
  }
}
