import type { FieldTable, FieldValue } from '../protocol/field-table';
import type { BindingSpec, ExchangeType, Matcher } from './exchange-type';

/**
 * x-delayed-message, the exchange type of RabbitMQ's delayed-message plugin (rabbitmq-delayed-message-exchange).
 *
 * The exchange routes like the type named by its `x-delayed-type` argument (direct, fanout, topic or headers): its
 * matcher is that type's, and so are its binding checks. What differs is when: a message published with a positive
 * integer `x-delay` header (ms) is held by the broker's DelayedScheduler (src/delayed/) and routed through this
 * exchange once due; any other message is routed at once. This module only answers "which destinations match";
 * the holding is done by whoever publishes (the exchange type says `delayed: true`).
 *
 * Declare checks follow the plugin (rabbit_exchange_type_delayed_message:validate/1): an x-delayed-type that is
 * absent or not a string is refused with the plugin's text; a string naming no exchange type is refused as
 * RabbitMQ refuses an unknown type (rabbit_exchange:check_type/1, "unknown exchange type 'T'"); x-delayed-type may
 * not name x-delayed-message itself (the plugin would recurse); the named type then checks the arguments too.
 */

export const DELAYED_EXCHANGE_TYPE = 'x-delayed-message';
export const DELAYED_TYPE_ARGUMENT = 'x-delayed-type';

/** The plugin's reply text (406 PRECONDITION_FAILED) when x-delayed-type is missing or not a string. */
export const INVALID_DELAYED_TYPE_TEXT = "Invalid argument, 'x-delayed-type' must be an existing exchange type";

/** Resolves the type a delayed exchange routes like. */
export type ExchangeTypeLookup = (name: string) => ExchangeType | undefined;

/** The x-delayed-message type, resolving x-delayed-type through `lookup` (the registry's non-delayed types). */
export function createDelayedExchangeType(lookup: ExchangeTypeLookup): ExchangeType {
  /** The type an exchange with these arguments routes like; undefined when the arguments name none. */
  function routingType(args: FieldTable): ExchangeType | undefined {
    const name = typeName(args[DELAYED_TYPE_ARGUMENT]);
    if (name === undefined) return undefined;
    const type = lookup(name);
    return type === undefined || type.delayed ? undefined : type;
  }

  return {
    name: DELAYED_EXCHANGE_TYPE,
    delayed: true,
    createMatcher<D>(args: FieldTable): Matcher<D> {
      // Declares are validated first; arguments that name no type (only possible for definitions stored or
      // imported without validation) give an exchange that routes nowhere rather than a broker that cannot start.
      return routingType(args)?.createMatcher<D>(args) ?? new NoRouteMatcher<D>();
    },
    validateDeclareArguments(args: FieldTable): string | undefined {
      const name = typeName(args[DELAYED_TYPE_ARGUMENT]);
      if (name === undefined) return INVALID_DELAYED_TYPE_TEXT;
      const type = lookup(name);
      if (type === undefined) return `unknown exchange type '${name}'`;
      if (type.delayed) return `Invalid argument, '${DELAYED_EXCHANGE_TYPE}' can't be used for '${DELAYED_TYPE_ARGUMENT}'`;
      return type.validateDeclareArguments?.(args);
    },
    validateBindingArguments(args: FieldTable, exchangeArguments?: FieldTable): string | undefined {
      if (exchangeArguments === undefined) return undefined;
      return routingType(exchangeArguments)?.validateBindingArguments?.(args, exchangeArguments);
    },
    needsHeaders(args: FieldTable): boolean {
      return routingType(args)?.needsHeaders?.(args) ?? false;
    },
  };
}

/** A longstr, or a byte array holding text (the plugin accepts any binary). */
function typeName(value: FieldValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

class NoRouteMatcher<D> implements Matcher<D> {
  add(_binding: BindingSpec<D>): void {}
  remove(_binding: BindingSpec<D>): void {}
  removeDestination(_destination: D): void {}
  route(_routingKey: string, _headers: FieldTable | undefined, _out: Set<D>): void {}
}
