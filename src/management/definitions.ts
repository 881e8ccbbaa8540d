import { readFileSync } from 'node:fs';
import { OPERATOR_POLICY_COMPONENT, POLICY_COMPONENT, type PolicyValue } from '../vhost/policies';
import { TOPIC_PERMISSION_COMPONENT, USER_LIMITS_COMPONENT, type AccessControl, type UserLimits } from '../auth/access';
import { DEFAULT_HASHING_ALGORITHM, hashPassword, isKnownHashingAlgorithm } from '../auth/passwords';
import { AmqpError } from '../protocol/amqp-error';
import { compileSafeRegExp } from '../util/safe-regex';
import type { ParameterRecord, Store, UserRecord, VhostRecord } from '../store/store';
import type { Binding } from '../vhost/bindings';
import { VHOST_LIMITS_COMPONENT, type VhostRegistry } from '../vhost/registry';
import type { VhostLimits, VirtualHost } from '../vhost/vhost';
import { MAX_NESTING } from '../protocol/field-table';
import { boundedJson, fieldTableToJson, jsonToFieldTable, nestedDeeperThan, type Json } from './format';
import { MANAGEMENT_OWNER, parseTags } from './support';

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

const GLOBAL_PARAMETER_COMPONENT = 'global';
/**
 * Components not listed under parameters: those with their own section in the file, AccessControl's, and operator
 * policies (RabbitMQ's export leaves them out too).
 */
const NOT_PARAMETERS = new Set([
  POLICY_COMPONENT,
  OPERATOR_POLICY_COMPONENT,
  GLOBAL_PARAMETER_COMPONENT,
  TOPIC_PERMISSION_COMPONENT,
  USER_LIMITS_COMPONENT,
]);
const POLICY_APPLY_TO = ['all', 'queues', 'exchanges', 'classic_queues', 'quorum_queues', 'streams'];
const VHOST_LIMIT_KEYS = ['max-connections', 'max-queues'];
const USER_LIMIT_KEYS = ['max-connections', 'max-channels'];

/** What import and export work on: the broker's vhosts, users and store. ManagementDeps has all three. */
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

type JsonObject = { [key: string]: Json };

// ---------------------------------------------------------------------------------------------------------------
// Export.

/**
 * The whole broker's definitions, as RabbitMQ's GET /api/definitions: non-exclusive queues, exchanges other
 * than the default and amq.* ones, and the bindings between exported entities (amq.* exchanges count as exported).
 */
export function exportDefinitions(target: DefinitionsTarget, product: ProductInfo): JsonObject {
  const parameters = sortParameters(target.store.loadParameters());
  const vhosts = target.vhosts.list().sort((a, b) => compare(a.record.name, b.record.name));
  return {
    ...header(product),
    users: target.access
      .listUsers()
      .sort((a, b) => compare(a.name, b.name))
      .map((u) => exportUser(u, target.access.getUserLimits(u.name))),
    vhosts: vhosts.map(({ record }) => exportVhost(record)),
    permissions: target.access
      .listPermissions()
      .sort((a, b) => compare(a.vhost, b.vhost) || compare(a.user, b.user))
      .map((p) => ({ user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read })),
    topic_permissions: target.access
      .listTopicPermissions()
      .sort((a, b) => compare(a.vhost, b.vhost) || compare(a.user, b.user) || compare(a.exchange, b.exchange))
      .map((t) => ({ user: t.user, vhost: t.vhost, exchange: t.exchange, write: t.write, read: t.read })),
    parameters: parameters.filter(isPlainParameter).map((p) => exportParameter(p, true)),
    global_parameters: parameters
      .filter((p) => p.component === GLOBAL_PARAMETER_COMPONENT)
      .map((p) => ({ name: p.name, value: boundedJson(p.value) })),
    policies: parameters.filter((p) => p.component === POLICY_COMPONENT).map((p) => exportPolicy(p, true)),
    ...entities(vhosts.map(({ vhost }) => vhost), true),
  };
}

/** One vhost's definitions, as RabbitMQ's GET /api/definitions/{vhost}: no users, vhosts or permissions, no vhost keys. */
export function exportVhostDefinitions(target: DefinitionsTarget, vhost: VirtualHost, product: ProductInfo): JsonObject {
  const parameters = sortParameters(target.store.loadParameters().filter((p) => p.vhost === vhost.name));
  return {
    ...header(product),
    parameters: parameters.filter(isPlainParameter).map((p) => exportParameter(p, false)),
    policies: parameters.filter((p) => p.component === POLICY_COMPONENT).map((p) => exportPolicy(p, false)),
    ...entities([vhost], false),
  };
}

function header(product: ProductInfo): JsonObject {
  return {
    rabbit_version: product.version,
    rabbitmq_version: product.version,
    product_name: product.product,
    product_version: product.version,
  };
}

function exportUser(record: UserRecord, limits: UserLimits): JsonObject {
  return {
    name: record.name,
    password_hash: record.passwordHash,
    hashing_algorithm: record.hashingAlgorithm,
    tags: [...record.tags],
    limits: { ...limits } as JsonObject,
  };
}

function exportVhost(record: VhostRecord): JsonObject {
  const queueType: JsonObject = record.defaultQueueType === undefined ? {} : { default_queue_type: record.defaultQueueType };
  return {
    name: record.name,
    description: record.description,
    tags: [...record.tags],
    ...queueType,
    metadata: { description: record.description, tags: [...record.tags], ...queueType },
  };
}

function isPlainParameter(p: ParameterRecord): boolean {
  return p.vhost !== '' && !NOT_PARAMETERS.has(p.component);
}

function exportParameter(p: ParameterRecord, withVhost: boolean): JsonObject {
  return { ...(withVhost ? { vhost: p.vhost } : {}), component: p.component, name: p.name, value: boundedJson(p.value) };
}

function exportPolicy(p: ParameterRecord, withVhost: boolean): JsonObject {
  const value = (isObject(p.value) ? p.value : {}) as JsonObject;
  return {
    ...(withVhost ? { vhost: p.vhost } : {}),
    name: p.name,
    pattern: value.pattern ?? '',
    'apply-to': value['apply-to'] ?? 'all',
    definition: boundedJson(value.definition ?? {}),
    priority: value.priority ?? 0,
  };
}

function entities(vhosts: readonly VirtualHost[], withVhost: boolean): { queues: Json[]; exchanges: Json[]; bindings: Json[] } {
  const queues: Json[] = [];
  const exchanges: Json[] = [];
  const bindings: Json[] = [];
  const v = (vhost: VirtualHost): JsonObject => (withVhost ? { vhost: vhost.name } : {});
  for (const vhost of vhosts) {
    const exportedQueues = new Set<string>();
    for (const queue of vhost.queues.values()) {
      // Transient and auto-delete queues too, as RabbitMQ 3.10 exports them; exclusive ones belong to a connection.
      if (queue.exclusiveOwner !== null) continue;
      exportedQueues.add(queue.name);
      queues.push({
        name: queue.name,
        ...v(vhost),
        durable: queue.durable,
        auto_delete: queue.autoDelete,
        arguments: fieldTableToJson(queue.arguments),
      });
    }
    for (const exchange of vhost.exchanges.values()) {
      if (isSystemExchange(exchange.name)) continue;
      exchanges.push({
        name: exchange.name,
        ...v(vhost),
        type: exchange.type.name,
        durable: exchange.durable,
        auto_delete: exchange.autoDelete,
        internal: exchange.internal,
        arguments: fieldTableToJson(exchange.arguments),
      });
    }
    const exchangeEnd = (name: string): boolean => name !== '' && vhost.exchanges.has(name);
    const exported = (b: Binding): boolean =>
      exchangeEnd(b.source.name) &&
      (b.destinationKind === 'queue' ? exportedQueues.has(b.destination.name) : exchangeEnd(b.destination.name));
    for (const b of vhost.bindings.all()) {
      if (!exported(b)) continue;
      bindings.push({
        source: b.source.name,
        ...v(vhost),
        destination: b.destination.name,
        destination_type: b.destinationKind,
        routing_key: b.routingKey,
        arguments: fieldTableToJson(b.arguments),
      });
    }
  }
  return { queues, exchanges, bindings };
}

function isSystemExchange(name: string): boolean {
  return name === '' || name.startsWith('amq.');
}

function sortParameters(list: ParameterRecord[]): ParameterRecord[] {
  return list.sort((a, b) => compare(a.vhost, b.vhost) || compare(a.component, b.component) || compare(a.name, b.name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Import.

interface ImportOptions {
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
    let passwordHash = existing?.passwordHash ?? '';
    let hashingAlgorithm = existing?.hashingAlgorithm ?? DEFAULT_HASHING_ALGORITHM;
    if (u.password !== undefined) {
      hashingAlgorithm = DEFAULT_HASHING_ALGORITHM;
      passwordHash = hashPassword(u.password, hashingAlgorithm);
    } else if (u.passwordHash !== undefined) {
      passwordHash = u.passwordHash;
      hashingAlgorithm = u.hashingAlgorithm ?? defs.defaultHashingAlgorithm;
    }
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

// ---- parsing: type checks with the path of the offending key --------------------------------------------------

interface ParsedDocument {
  defaultHashingAlgorithm: string;
  vhosts: Array<{ name: string; description?: string; tags?: string[]; defaultQueueType?: string }>;
  users: Array<{
    name: string;
    password?: string;
    passwordHash?: string;
    hashingAlgorithm?: string;
    tags?: string[];
    limits?: UserLimits;
  }>;
  permissions: Array<{ user: string; vhost: string; configure: string; write: string; read: string }>;
  topicPermissions: Array<{ user: string; vhost: string; exchange: string; write: string; read: string }>;
  parameters: Array<{ vhost: string; component: string; name: string; value: unknown; path: string }>;
  globalParameters: Array<{ name: string; value: unknown }>;
  policies: Array<{ vhost: string; name: string; value: JsonObject }>;
  exchanges: Array<{
    vhost: string;
    name: string;
    type: string;
    durable: boolean;
    autoDelete: boolean;
    internal: boolean;
    arguments: ReturnType<typeof jsonToFieldTable>;
  }>;
  queues: Array<{ vhost: string; name: string; durable: boolean; autoDelete: boolean; arguments: ReturnType<typeof jsonToFieldTable> }>;
  bindings: Array<{
    vhost: string;
    source: string;
    destination: string;
    destinationType: 'queue' | 'exchange';
    routingKey: string;
    arguments: ReturnType<typeof jsonToFieldTable>;
  }>;
}

/** One JSON object of the document, read with its path for error messages ("queues[2].durable"). */
class Item {
  constructor(
    readonly value: Record<string, unknown>,
    readonly path: string,
  ) {}

  private bad(key: string, expected: string): DefinitionsError {
    const got = JSON.stringify(this.value[key]) ?? String(this.value[key]);
    return new DefinitionsError(`${this.path}.${key} must be ${expected}, got ${got}`);
  }

  private has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  /** A required string, or `fallback` when absent. */
  string(key: string, fallback?: string): string {
    const v = this.optionalString(key) ?? fallback;
    if (v === undefined) throw new DefinitionsError(`${this.path}.${key} is missing`);
    return v;
  }

  optionalString(key: string): string | undefined {
    if (!this.has(key)) return undefined;
    const v = this.value[key];
    if (typeof v !== 'string') throw this.bad(key, 'a string');
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const v = this.value[key];
    if (typeof v !== 'boolean') throw this.bad(key, 'true or false');
    return v;
  }

  integer(key: string, fallback: number): number {
    if (!this.has(key)) return fallback;
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw this.bad(key, 'an integer');
    return v;
  }

  object(key: string): Record<string, unknown> | undefined {
    if (!this.has(key)) return undefined;
    const v = this.value[key];
    if (!isObject(v)) throw this.bad(key, 'an object');
    return v;
  }

  /** Present: any JSON value but null. */
  any(key: string): unknown {
    if (!this.has(key)) throw new DefinitionsError(`${this.path}.${key} is missing`);
    return this.value[key];
  }

  /** RabbitMQ writes tags as an array, or (3.10 vhost metadata, older user exports) as "a,b". */
  tags(key: string): string[] | undefined {
    if (!this.has(key)) return undefined;
    const v = this.value[key];
    if (typeof v !== 'string' && !(Array.isArray(v) && v.every((t) => typeof t === 'string'))) {
      throw this.bad(key, 'a comma-separated string or an array of strings');
    }
    return parseTags(v);
  }
}

function parseDocument(document: unknown, scopedVhost: string | undefined): ParsedDocument {
  if (!isObject(document)) throw new DefinitionsError('the definitions must be a JSON object');
  const list = (key: string): Item[] => {
    const v = document[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new DefinitionsError(`${key} must be an array, got ${JSON.stringify(v)}`);
    return v.map((entry, i) => {
      if (!isObject(entry)) throw new DefinitionsError(`${key}[${i}] must be an object, got ${JSON.stringify(entry)}`);
      return new Item(entry, `${key}[${i}]`);
    });
  };
  const scoped = scopedVhost !== undefined;
  // In the vhost-scoped form every item goes to the vhost of the URL, whatever its own vhost key says.
  const vhostOf = (item: Item): string => scopedVhost ?? item.string('vhost');
  const args = (item: Item): ReturnType<typeof jsonToFieldTable> => {
    const value = item.object('arguments') ?? {};
    tooDeep(value, `${item.path}.arguments`);
    return jsonToFieldTable(value);
  };

  const version = typeof document.rabbit_version === 'string' ? document.rabbit_version : undefined;
  const out: ParsedDocument = {
    // Files from before RabbitMQ 3.6 have MD5 hashes and no hashing_algorithm.
    defaultHashingAlgorithm: version !== undefined && olderThan36(version) ? 'rabbit_password_hashing_md5' : DEFAULT_HASHING_ALGORITHM,
    vhosts: [],
    users: [],
    permissions: [],
    topicPermissions: [],
    parameters: [],
    globalParameters: [],
    policies: [],
    exchanges: [],
    queues: [],
    bindings: [],
  };

  if (!scoped) {
    out.vhosts = list('vhosts').map((item) => {
      const metadata = new Item(item.object('metadata') ?? {}, `${item.path}.metadata`);
      const description = item.optionalString('description') ?? metadata.optionalString('description');
      const tags = item.tags('tags') ?? metadata.tags('tags');
      const defaultQueueType = item.optionalString('default_queue_type') ?? metadata.optionalString('default_queue_type');
      return {
        name: item.string('name'),
        ...(description === undefined ? {} : { description }),
        ...(tags === undefined ? {} : { tags }),
        ...(defaultQueueType === undefined ? {} : { defaultQueueType }),
      };
    });
    out.users = list('users').map((item) => {
      const password = item.optionalString('password');
      const passwordHash = item.optionalString('password_hash');
      const hashingAlgorithm = item.optionalString('hashing_algorithm');
      if (hashingAlgorithm !== undefined && !isKnownHashingAlgorithm(hashingAlgorithm)) {
        throw new DefinitionsError(`${item.path}.hashing_algorithm: unknown hashing algorithm '${hashingAlgorithm}'`);
      }
      if (passwordHash !== undefined && passwordHash !== '' && !/^[A-Za-z0-9+/]+={0,2}$/.test(passwordHash)) {
        throw new DefinitionsError(`${item.path}.password_hash is not valid base64`);
      }
      const tags = item.tags('tags');
      const rawLimits = item.object('limits');
      return {
        name: item.string('name'),
        ...(password === undefined ? {} : { password }),
        ...(passwordHash === undefined ? {} : { passwordHash }),
        ...(hashingAlgorithm === undefined ? {} : { hashingAlgorithm }),
        ...(tags === undefined ? {} : { tags }),
        ...(rawLimits === undefined ? {} : { limits: limits(rawLimits, USER_LIMIT_KEYS, `${item.path}.limits`) as UserLimits }),
      };
    });
    out.permissions = list('permissions').map((item) => ({
      user: item.string('user'),
      vhost: item.string('vhost'),
      configure: item.string('configure'),
      write: item.string('write'),
      read: item.string('read'),
    }));
    out.topicPermissions = list('topic_permissions').map((item) => ({
      user: item.string('user'),
      vhost: item.string('vhost'),
      exchange: item.string('exchange'),
      write: item.string('write'),
      read: item.string('read'),
    }));
    out.globalParameters = list('global_parameters').map((item) => {
      const value = item.any('value');
      tooDeep(value, `${item.path}.value`);
      return { name: item.string('name'), value };
    });
  }

  out.parameters = list('parameters').map((item) => {
    const component = item.string('component');
    if (component === TOPIC_PERMISSION_COMPONENT || component === USER_LIMITS_COMPONENT || component === GLOBAL_PARAMETER_COMPONENT) {
      throw new DefinitionsError(`${item.path}.component '${component}' is not a runtime parameter component`);
    }
    const value = item.any('value');
    tooDeep(value, `${item.path}.value`);
    if (component === VHOST_LIMITS_COMPONENT) limits(value, VHOST_LIMIT_KEYS, `${item.path}.value`);
    return { vhost: vhostOf(item), component, name: item.string('name'), value, path: `${item.path}.value` };
  });

  out.policies = list('policies').map((item) => {
    const pattern = item.string('pattern');
    try {
      compileSafeRegExp(pattern);
    } catch (err) {
      throw new DefinitionsError(`${item.path}.pattern is not a valid regular expression: ${(err as Error).message}`);
    }
    const applyTo = item.string('apply-to', 'all');
    if (!POLICY_APPLY_TO.includes(applyTo)) {
      throw new DefinitionsError(`${item.path}.apply-to must be one of ${POLICY_APPLY_TO.join(', ')}, got ${JSON.stringify(applyTo)}`);
    }
    const definition = item.object('definition');
    if (definition === undefined) throw new DefinitionsError(`${item.path}.definition is missing`);
    tooDeep(definition, `${item.path}.definition`);
    const value: JsonObject = { pattern, 'apply-to': applyTo, definition: definition as JsonObject, priority: item.integer('priority', 0) };
    return { vhost: vhostOf(item), name: item.string('name'), value };
  });

  out.exchanges = list('exchanges').map((item) => ({
    vhost: vhostOf(item),
    name: item.string('name'),
    type: item.string('type'),
    durable: item.boolean('durable', true),
    autoDelete: item.boolean('auto_delete', false),
    internal: item.boolean('internal', false),
    arguments: args(item),
  }));

  out.queues = list('queues').map((item) => ({
    vhost: vhostOf(item),
    name: item.string('name'),
    durable: item.boolean('durable', true),
    autoDelete: item.boolean('auto_delete', false),
    arguments: args(item),
  }));

  out.bindings = list('bindings').map((item) => {
    const destinationType = item.string('destination_type');
    if (destinationType !== 'queue' && destinationType !== 'exchange') {
      throw new DefinitionsError(`${item.path}.destination_type must be "queue" or "exchange", got ${JSON.stringify(destinationType)}`);
    }
    return {
      vhost: vhostOf(item),
      source: item.string('source'),
      destination: item.string('destination'),
      destinationType,
      routingKey: item.string('routing_key', ''),
      arguments: args(item),
    };
  });
  return out;
}

/** A limits object ({"max-connections": 10}); RabbitMQ 3.10 also writes them as [["max-connections", 10]]. */
function limits(value: unknown, keys: readonly string[], path: string): Record<string, number> {
  const entries = Array.isArray(value)
    ? value.map((pair) => (Array.isArray(pair) && pair.length === 2 ? (pair as [unknown, unknown]) : [undefined, undefined]))
    : isObject(value)
      ? Object.entries(value)
      : undefined;
  if (entries === undefined) throw new DefinitionsError(`${path} must be an object, got ${JSON.stringify(value)}`);
  const out: Record<string, number> = {};
  for (const [key, limit] of entries) {
    if (typeof key !== 'string' || !keys.includes(key)) {
      throw new DefinitionsError(`${path}: unknown limit ${JSON.stringify(key)} (expected ${keys.join(' or ')})`);
    }
    if (typeof limit !== 'number' || !Number.isInteger(limit)) {
      throw new DefinitionsError(`${path}.${key} must be an integer, got ${JSON.stringify(limit)}`);
    }
    out[key] = limit;
  }
  return out;
}

/** Arguments, policy definitions and parameter values nest at most as deep as an AMQP field table (format.ts). */
function tooDeep(value: unknown, path: string): void {
  if (nestedDeeperThan(value, MAX_NESTING)) throw new DefinitionsError(`${path} is nested deeper than ${MAX_NESTING} levels`);
}

function olderThan36(version: string): boolean {
  const [major, minor] = version.split('.').map((n) => Number.parseInt(n, 10));
  if (major === undefined || Number.isNaN(major)) return false;
  return major < 3 || (major === 3 && minor !== undefined && !Number.isNaN(minor) && minor < 6);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Upload.

/**
 * The `file` field of a multipart/form-data body (RabbitMQ's web UI uploads a definitions file so), or undefined
 * when the body has none. `body` is the request body as text, `contentType` its header (which names the boundary).
 */
export function multipartFile(body: string, contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) return undefined;
  const delimiter = `--${boundary}`;
  for (const part of body.split(delimiter).slice(1)) {
    if (part.startsWith('--')) break;
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const headers = part.slice(0, headerEnd);
    const disposition = /^content-disposition:(.*)$/im.exec(headers)?.[1] ?? '';
    if (!/;\s*name="?file"?(;|\s|$)/i.test(disposition)) continue;
    // The part's content ends with the CRLF before the next delimiter.
    const content = part.slice(headerEnd + 4);
    return content.endsWith('\r\n') ? content.slice(0, -2) : content;
  }
  return undefined;
}
