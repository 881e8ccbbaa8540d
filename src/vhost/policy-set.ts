import { parseQueueArguments, type QueueSettings } from '../queue/arguments';
import type { Queue } from '../queue/queue';
import { recoveredSettings } from './declare-checks';
import {
  compilePolicy,
  effectiveArguments,
  OPERATOR_POLICY_COMPONENT,
  queuePolicy,
  type Policy,
  type PolicyValue,
} from './policies';

/** A vhost's policies and operator policies by name, and how they combine into a queue's settings. */
export class PolicySet {
  private readonly policies = new Map<string, Policy>();
  private readonly operatorPolicies = new Map<string, Policy>();

  get empty(): boolean {
    return this.policies.size === 0 && this.operatorPolicies.size === 0;
  }

  /** Adds, replaces (value given) or removes (undefined) a policy of `component` ('policy' or 'operator_policy'). */
  set(component: string, name: string, value: PolicyValue | undefined): void {
    const map = component === OPERATOR_POLICY_COMPONENT ? this.operatorPolicies : this.policies;
    const policy = value === undefined ? undefined : compilePolicy(name, value);
    if (policy === undefined) map.delete(name);
    else map.set(name, policy);
  }

  /** Gives `queue` the settings of its arguments under the policies that match it now (if any did or do). */
  applyTo(queue: Queue): void {
    const quorum = queue.settings.quorum;
    const policy = queuePolicy(this.policies.values(), queue.name, quorum);
    const operatorPolicy = queuePolicy(this.operatorPolicies.values(), queue.name, quorum);
    if (policy === undefined && operatorPolicy === undefined && queue.policy === undefined && queue.operatorPolicy === undefined) return;
    let settings: QueueSettings;
    try {
      settings = parseQueueArguments(effectiveArguments(queue.arguments, policy, operatorPolicy));
    } catch {
      settings = recoveredSettings(queue.arguments);
    }
    queue.applySettings(settings, policy?.name, operatorPolicy?.name);
  }
}
