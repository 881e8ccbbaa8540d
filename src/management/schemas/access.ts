import { ANY, BOOLEAN, namedFields, object, OPEN_OBJECT, STRING, STRINGS } from './common';

/*
 * Users, permissions, topic permissions, limits, runtime parameters and policies: RabbitMQ's field names.
 */

export const userJson = object({
  name: STRING,
  password_hash: STRING,
  hashing_algorithm: STRING,
  tags: STRINGS,
  limits: OPEN_OBJECT,
});

export const permissionJson = object({ user: STRING, vhost: STRING, configure: STRING, write: STRING, read: STRING });

export const topicPermissionJson = object({ user: STRING, vhost: STRING, exchange: STRING, write: STRING, read: STRING });

export const vhostLimitsJson = object({ vhost: STRING, value: OPEN_OBJECT });

export const userLimitsJson = object({ user: STRING, value: OPEN_OBJECT });

export const parameterJson = object({ value: ANY, vhost: STRING, component: STRING, name: STRING });

export const globalParameterJson = object({ name: STRING, value: ANY });

export const policyJson = object({
  vhost: STRING,
  name: STRING,
  pattern: ANY,
  'apply-to': ANY,
  definition: ANY,
  priority: ANY,
});

// ---- request bodies --------------------------------------------------------------------------------

export interface UserBody {
  password?: string;
  password_hash?: string;
  hashing_algorithm?: string;
  tags?: string | string[];
  administrator?: boolean | string;
}

export const userBody = {
  type: 'object',
  properties: {
    password: STRING,
    password_hash: STRING,
    hashing_algorithm: STRING,
    tags: { anyOf: [STRING, STRINGS] },
    administrator: { anyOf: [BOOLEAN, STRING] },
  },
} as const;

export interface BulkDeleteBody {
  users?: string[];
}

export const bulkDeleteBody = { type: 'object', properties: { users: STRINGS } } as const;

export interface PermissionBody {
  configure?: string;
  write?: string;
  read?: string;
}

export const permissionBody = { type: 'object', properties: { configure: STRING, write: STRING, read: STRING } } as const;

/** Checked by the handler (RabbitMQ's key_missing and "... should be a string" texts). */
export interface TopicPermissionBody {
  exchange?: unknown;
  write?: unknown;
  read?: unknown;
}

export const topicPermissionBody = namedFields(['exchange', 'write', 'read']);

/** A limit, a runtime or a global parameter: `value`, checked by the handler. */
export interface ValueBody {
  value?: unknown;
}

export const valueBody = namedFields(['value']);

/** A policy, checked by the handler with rabbit_policy's texts. */
export interface PolicyBody {
  pattern?: unknown;
  definition?: unknown;
  priority?: unknown;
  'apply-to'?: unknown;
}

export const policyBody = namedFields(['pattern', 'definition', 'priority', 'apply-to']);
