import { TOPIC_PERMISSION_COMPONENT, USER_LIMITS_COMPONENT, type UserLimits } from '../../auth/access';
import { DEFAULT_HASHING_ALGORITHM, isKnownHashingAlgorithm } from '../../auth/passwords';
import { MAX_NESTING, type FieldTable } from '../../protocol/field-table';
import { compileSafeRegExp } from '../../util/safe-regex';
import { VHOST_LIMITS_COMPONENT } from '../../vhost/registry';
import { nestedDeeperThan } from '../json';
import { parseTags } from '../tags';
import {
  DefinitionsError,
  GLOBAL_PARAMETER_COMPONENT,
  isObject,
  POLICY_APPLY_TO,
  USER_LIMIT_KEYS,
  VHOST_LIMIT_KEYS,
  type JsonObject,
} from './common';

/*
 * Reading a definitions document: RabbitMQ's field names mapped to ours, every value type-checked with the path of
 * the offending key ("queues[2].durable must be true or false"), before anything is applied.
 */

/** A JSON object as a field table (JSON values are all valid field values); the caller checked its nesting. */
function asFieldTable(value: Record<string, unknown>): FieldTable {
  return value as FieldTable;
}

export interface ParsedDocument {
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
    arguments: FieldTable;
  }>;
  queues: Array<{ vhost: string; name: string; durable: boolean; autoDelete: boolean; arguments: FieldTable }>;
  bindings: Array<{
    vhost: string;
    source: string;
    destination: string;
    destinationType: 'queue' | 'exchange';
    routingKey: string;
    arguments: FieldTable;
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

export function parseDocument(document: unknown, scopedVhost: string | undefined): ParsedDocument {
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
  const args = (item: Item): FieldTable => {
    const value = item.object('arguments') ?? {};
    tooDeep(value, `${item.path}.arguments`);
    return asFieldTable(value);
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
export function limits(value: unknown, keys: readonly string[], path: string): Record<string, number> {
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
