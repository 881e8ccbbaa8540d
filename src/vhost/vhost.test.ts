import { ReplyCode } from '../protocol/generated/amqp';
import { CONN_A, exchangeReq, expectError, queueReq, setup } from './test-support/declare';

describe('VirtualHost: built-in exchanges', () => {
  test('the default and amq.* exchanges exist with their types, durable', () => {
    const { vhost } = setup();
    const types = Object.fromEntries([...vhost.exchanges.values()].map((e) => [e.name, e.type.name]));
    expect(types).toEqual({
      '': 'direct',
      'amq.direct': 'direct',
      'amq.fanout': 'fanout',
      'amq.topic': 'topic',
      'amq.headers': 'headers',
      'amq.match': 'headers',
    });
    expect([...vhost.exchanges.values()].every((e) => e.durable && !e.autoDelete && !e.internal)).toBe(true);
  });

  test('built-in exchanges are not written to the store', () => {
    const { store } = setup();
    expect(store.loadDefinitions()).toEqual({ exchanges: [], queues: [], bindings: [] });
  });

  test('an equivalent re-declare of amq.direct is allowed', () => {
    const { vhost } = setup();
    const existing = vhost.exchangeOrDie('amq.direct');
    expect(vhost.declareExchange(exchangeReq('amq.direct', { durable: true }))).toBe(existing);
  });
});

describe('VirtualHost: exchange.declare', () => {
  test('declare creates; an equivalent re-declare returns the same exchange; passive finds it', () => {
    const { vhost } = setup();
    const x = vhost.declareExchange(exchangeReq('x', { type: 'topic' }));
    expect(x.type.name).toBe('topic');
    expect(vhost.declareExchange(exchangeReq('x', { type: 'topic' }))).toBe(x);
    expect(vhost.declareExchange(exchangeReq('x', { passive: true, type: 'fanout', durable: true }))).toBe(x);
  });

  test('passive declare of a missing exchange is 404', () => {
    const { vhost } = setup();
    expectError(
      () => vhost.declareExchange(exchangeReq('nope', { passive: true })),
      ReplyCode.NotFound,
      "NOT_FOUND - no exchange 'nope' in vhost '/'",
    );
  });

  test('unknown type is 503', () => {
    const { vhost } = setup();
    expectError(
      () => vhost.declareExchange(exchangeReq('x', { type: 'bogus' })),
      ReplyCode.CommandInvalid,
      "COMMAND_INVALID - unknown exchange type 'bogus'",
    );
    expect(vhost.exchanges.has('x')).toBe(false);
  });

  test('amq.* names are reserved', () => {
    const { vhost } = setup();
    expectError(
      () => vhost.declareExchange(exchangeReq('amq.custom')),
      ReplyCode.AccessRefused,
      "ACCESS_REFUSED - exchange name 'amq.custom' contains reserved prefix 'amq.*'",
    );
    expect(vhost.exchanges.has('amq.custom')).toBe(false);
  });

  test.each([
    ['type', { type: 'fanout' }, "received 'fanout' but current is 'direct'"],
    ['durable', { durable: true }, "received 'true' but current is 'false'"],
    ['auto_delete', { autoDelete: true }, "received 'true' but current is 'false'"],
    ['internal', { internal: true }, "received 'true' but current is 'false'"],
  ] as const)('inequivalent %s is 406', (field, overrides, detail) => {
    const { vhost } = setup();
    vhost.declareExchange(exchangeReq('x'));
    expectError(
      () => vhost.declareExchange(exchangeReq('x', overrides)),
      ReplyCode.PreconditionFailed,
      `PRECONDITION_FAILED - inequivalent arg '${field}' for exchange 'x' in vhost '/': ${detail}`,
    );
  });

  test('inequivalent alternate-exchange is 406, with typed values against none', () => {
    const { vhost } = setup();
    vhost.declareExchange(exchangeReq('x', { arguments: { 'alternate-exchange': 'ae1' } }));
    expectError(
      () => vhost.declareExchange(exchangeReq('x', { arguments: { 'alternate-exchange': 'ae2' } })),
      ReplyCode.PreconditionFailed,
      "PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange 'x' in vhost '/': received 'ae2' but current is 'ae1'",
    );
    expectError(
      () => vhost.declareExchange(exchangeReq('x')),
      ReplyCode.PreconditionFailed,
      "PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange 'x' in vhost '/': received none but current is the value 'ae1' of type 'longstr'",
    );
  });

  test('other exchange arguments are not compared', () => {
    const { vhost } = setup();
    const x = vhost.declareExchange(exchangeReq('x', { arguments: { foo: 1 } }));
    expect(vhost.declareExchange(exchangeReq('x', { arguments: { foo: 2 } }))).toBe(x);
  });
});

describe('VirtualHost: default exchange protections', () => {
  test('declaring the default exchange is refused; passive declare finds it', () => {
    const { vhost } = setup();
    expectError(
      () => vhost.declareExchange(exchangeReq('')),
      ReplyCode.AccessRefused,
      'ACCESS_REFUSED - operation not permitted on the default exchange',
    );
    expect(vhost.declareExchange(exchangeReq('', { passive: true })).name).toBe('');
  });

  test('deleting, binding to and binding from the default exchange are refused', () => {
    const { vhost } = setup();
    vhost.declareQueue(queueReq('q'), CONN_A);
    vhost.declareExchange(exchangeReq('x'));
    const text = 'ACCESS_REFUSED - operation not permitted on the default exchange';
    expectError(() => vhost.deleteExchange('', false), ReplyCode.AccessRefused, text);
    expectError(() => vhost.bindQueue('q', '', 'q', {}, CONN_A), ReplyCode.AccessRefused, text);
    expectError(() => vhost.unbindQueue('q', '', 'q', {}, CONN_A), ReplyCode.AccessRefused, text);
    expectError(() => vhost.bindExchange('x', '', 'k', {}), ReplyCode.AccessRefused, text);
    expectError(() => vhost.bindExchange('', 'x', 'k', {}), ReplyCode.AccessRefused, text);
    expect(vhost.exchanges.has('')).toBe(true);
  });

  test('system exchanges cannot be deleted', () => {
    const { vhost } = setup();
    expectError(
      () => vhost.deleteExchange('amq.topic', false),
      ReplyCode.AccessRefused,
      "ACCESS_REFUSED - deletion of system exchange 'amq.topic' in vhost '/' not allowed",
    );
    expect(vhost.exchanges.has('amq.topic')).toBe(true);
  });
});

describe('VirtualHost: exchange.delete', () => {
  test('if-unused refuses an exchange with bindings; delete of a missing exchange is a no-op', () => {
    const { vhost } = setup();
    vhost.declareExchange(exchangeReq('x'));
    vhost.declareQueue(queueReq('q'), CONN_A);
    vhost.bindQueue('q', 'x', 'k', {}, CONN_A);
    expectError(
      () => vhost.deleteExchange('x', true),
      ReplyCode.PreconditionFailed,
      "PRECONDITION_FAILED - exchange 'x' in vhost '/' in use",
    );
    vhost.deleteExchange('x', false);
    expect(vhost.exchanges.has('x')).toBe(false);
    expect(vhost.bindings.all()).toEqual([]);
    expect(() => vhost.deleteExchange('x', false)).not.toThrow();
  });
});
