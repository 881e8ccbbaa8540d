import type { FieldTable, FieldValue } from '../protocol/field-table';
import { compileSafeRegExp, type SafeRegExp } from '../util/safe-regex';

export const POLICY_COMPONENT = 'policy';
export const OPERATOR_POLICY_COMPONENT = 'operator_policy';

/** A policy as stored (the value of a 'policy' or 'operator_policy' runtime parameter). */
export interface PolicyValue {
  readonly pattern: string;
  readonly 'apply-to': string;
  readonly definition: Record<string, unknown>;
  readonly priority: number;
}

/** A policy ready to match names (in bounded time: patterns are user input, see util/safe-regex). */
export interface Policy {
  readonly name: string;
  readonly pattern: SafeRegExp;
  readonly applyTo: string;
  readonly definition: Record<string, unknown>;
  readonly priority: number;
}

export function compilePolicy(name: string, value: PolicyValue): Policy | undefined {
  try {
    return { name, pattern: compileSafeRegExp(value.pattern), applyTo: value['apply-to'] ?? 'all', definition: value.definition ?? {}, priority: value.priority ?? 0 };
  } catch {
    return undefined;
  }
}

/** The policy that applies to a queue: the matching one with the highest priority (RabbitMQ applies only one). */
export function queuePolicy(policies: Iterable<Policy>, name: string, quorum: boolean): Policy | undefined {
  let best: Policy | undefined;
  for (const policy of policies) {
    const applies =
      policy.applyTo === 'all' ||
      policy.applyTo === 'queues' ||
      policy.applyTo === (quorum ? 'quorum_queues' : 'classic_queues');
    if (!applies || !policy.pattern.test(name)) continue;
    if (best === undefined || policy.priority > best.priority) best = policy;
  }
  return best;
}

/** Policy keys for limits: the lowest of the queue's argument, its policy and its operator policy applies. */
const LOWEST_WINS = ['message-ttl', 'expires', 'max-length', 'max-length-bytes', 'delivery-limit'];
/** Policy keys where a queue's own argument wins over the policy. */
const ARGUMENT_WINS = ['overflow', 'dead-letter-exchange', 'dead-letter-routing-key', 'consumer-timeout', 'queue-mode'];

/**
 * The arguments a queue behaves by: its declared ones, completed by its policy and operator policy the way RabbitMQ
 * resolves each key (lowest limit wins; otherwise the declared argument first). Policy values of the wrong type are
 * ignored.
 */
export function effectiveArguments(
  args: FieldTable,
  policy: Policy | undefined,
  operatorPolicy: Policy | undefined,
): FieldTable {
  if (policy === undefined && operatorPolicy === undefined) return args;
  const out: FieldTable = { ...args };
  for (const key of LOWEST_WINS) {
    const candidates = [args[`x-${key}`], policy?.definition[key], operatorPolicy?.definition[key]].filter(
      (v): v is number => typeof v === 'number' && Number.isInteger(v),
    );
    if (candidates.length > 0) out[`x-${key}`] = Math.min(...candidates);
  }
  for (const key of ARGUMENT_WINS) {
    if (args[`x-${key}`] !== undefined) continue;
    const value = policy?.definition[key];
    if (typeof value === 'string' || typeof value === 'number') out[`x-${key}`] = value as FieldValue;
  }
  return out;
}
