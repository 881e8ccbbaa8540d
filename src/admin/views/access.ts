import type { TopicPermissionRecord } from '../../auth/access';
import type { ParameterRecord, PermissionRecord, UserRecord } from '../../store/store';
import type { PolicyValue } from '../../vhost/policies';
import { boundedJson } from '../json';

export function formatUser(record: UserRecord): Record<string, unknown> {
  return {
    name: record.name,
    password_hash: record.passwordHash,
    hashing_algorithm: record.hashingAlgorithm,
    tags: [...record.tags],
    limits: {},
  };
}

export function formatPermission(record: PermissionRecord): Record<string, unknown> {
  return { user: record.user, vhost: record.vhost, configure: record.configure, write: record.write, read: record.read };
}

export function formatTopicPermission(t: TopicPermissionRecord): Record<string, unknown> {
  return { user: t.user, vhost: t.vhost, exchange: t.exchange, write: t.write, read: t.read };
}

/** A runtime parameter as /api/parameters shows it. */
export function formatParameter(p: ParameterRecord): Record<string, unknown> {
  return { value: boundedJson(p.value), vhost: p.vhost, component: p.component, name: p.name };
}

/** A policy or operator policy as /api/policies shows it. */
export function formatPolicy(p: ParameterRecord): Record<string, unknown> {
  const value = p.value as PolicyValue;
  return {
    vhost: p.vhost,
    name: p.name,
    pattern: value.pattern,
    'apply-to': value['apply-to'],
    definition: boundedJson(value.definition),
    priority: value.priority,
  };
}
