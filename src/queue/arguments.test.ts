/**
 * queue.declare argument validation: valid arguments become QueueSettings, and every invalid one is an ArgumentError
 * whose text is RabbitMQ 3.10's, verbatim (probed with amqplib, which encodes JS integers as the smallest signed
 * type that holds them: 5 byte, 1000 short, 100000 signedint, 2^40 long).
 */
import { Decimal, type FieldTable, type FieldValue } from '../protocol/field-table';
import { ArgumentError, DEFAULT_SETTINGS, parseQueueArguments, type QueueSettings } from './arguments';

const WHAT = "queue 'q' in vhost '/'";

/** The ArgumentError parseQueueArguments throws for `args`, or a failure when it accepts them. */
function rejection(args: FieldTable): ArgumentError {
  try {
    parseQueueArguments(args);
  } catch (err) {
    expect(err).toBeInstanceOf(ArgumentError);
    return err as ArgumentError;
  }
  throw new Error(`accepted ${JSON.stringify(args)}`);
}

/** RabbitMQ's text (after "PRECONDITION_FAILED - ") for an invalid argument of queue 'q'. */
function textFor(args: FieldTable): string {
  return rejection(args).textFor(WHAT);
}

function invalidArg(key: string, reason: string): string {
  return `invalid arg '${key}' for queue 'q' in vhost '/': ${reason}`;
}

function settings(args: FieldTable): QueueSettings {
  return parseQueueArguments(args);
}

describe('parseQueueArguments: valid arguments', () => {
  test('no arguments (or unknown ones) give the defaults', () => {
    expect(settings({})).toEqual(DEFAULT_SETTINGS);
    expect(settings({ 'x-something-else': 'whatever', 'x-foo': 5 })).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS.overflow).toBe('drop-head');
    expect(DEFAULT_SETTINGS.singleActiveConsumer).toBe(false);
    expect(DEFAULT_SETTINGS.quorum).toBe(false);
  });

  test('every argument maps to its setting', () => {
    expect(
      settings({
        'x-message-ttl': 1000,
        'x-expires': 60000,
        'x-max-length': 10,
        'x-max-length-bytes': 100000,
        'x-overflow': 'reject-publish-dlx',
        'x-dead-letter-exchange': 'dlx',
        'x-dead-letter-routing-key': 'dead',
        'x-max-priority': 5,
        'x-single-active-consumer': true,
        'x-queue-type': 'quorum',
        'x-queue-mode': 'lazy',
        'x-delivery-limit': 3,
        'x-consumer-timeout': 250,
      }),
    ).toEqual({
      messageTtl: 1000,
      expires: 60000,
      maxLength: 10,
      maxLengthBytes: 100000,
      overflow: 'reject-publish-dlx',
      deadLetterExchange: 'dlx',
      deadLetterRoutingKey: 'dead',
      maxPriority: 5,
      singleActiveConsumer: true,
      deliveryLimit: 3,
      consumerTimeout: 250,
      quorum: true,
    });
  });

  test('x-message-ttl: 0 and the 10-year maximum are accepted; a bigint is converted', () => {
    expect(settings({ 'x-message-ttl': 0 }).messageTtl).toBe(0);
    expect(settings({ 'x-message-ttl': 315360000000 }).messageTtl).toBe(315360000000);
    expect(settings({ 'x-message-ttl': 100000n }).messageTtl).toBe(100000);
  });

  test('x-expires: 1 and the 10-year maximum are accepted', () => {
    expect(settings({ 'x-expires': 1 }).expires).toBe(1);
    expect(settings({ 'x-expires': 315360000000 }).expires).toBe(315360000000);
  });

  test('x-max-length and x-max-length-bytes: 0 is accepted', () => {
    expect(settings({ 'x-max-length': 0 })).toMatchObject({ maxLength: 0, maxLengthBytes: undefined });
    expect(settings({ 'x-max-length-bytes': 0 })).toMatchObject({ maxLength: undefined, maxLengthBytes: 0 });
  });

  test('x-max-priority: 0 is accepted and means no priorities, 255 is the maximum', () => {
    expect(settings({ 'x-max-priority': 0 }).maxPriority).toBeUndefined();
    expect(settings({ 'x-max-priority': 1 }).maxPriority).toBe(1);
    expect(settings({ 'x-max-priority': 255 }).maxPriority).toBe(255);
  });

  test.each(['drop-head', 'reject-publish', 'reject-publish-dlx'] as const)('x-overflow %s is accepted', (mode) => {
    expect(settings({ 'x-overflow': mode }).overflow).toBe(mode);
  });

  test("x-dead-letter-exchange '' (the default exchange) and names of exchanges that do not exist are accepted", () => {
    expect(settings({ 'x-dead-letter-exchange': '' }).deadLetterExchange).toBe('');
    expect(settings({ 'x-dead-letter-exchange': 'no-such-exchange' }).deadLetterExchange).toBe('no-such-exchange');
    expect(settings({ 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'q2' })).toMatchObject({
      deadLetterExchange: '',
      deadLetterRoutingKey: 'q2',
    });
  });

  test('x-single-active-consumer true and false are accepted', () => {
    expect(settings({ 'x-single-active-consumer': true }).singleActiveConsumer).toBe(true);
    expect(settings({ 'x-single-active-consumer': false }).singleActiveConsumer).toBe(false);
  });

  test('x-queue-type classic and quorum, x-queue-mode default and lazy are accepted', () => {
    expect(settings({ 'x-queue-type': 'classic' }).quorum).toBe(false);
    expect(settings({ 'x-queue-type': 'quorum' }).quorum).toBe(true);
    expect(settings({ 'x-queue-mode': 'default' })).toEqual(DEFAULT_SETTINGS);
    expect(settings({ 'x-queue-mode': 'lazy' })).toEqual(DEFAULT_SETTINGS);
  });

  test('x-delivery-limit is accepted on a classic queue (Leveret extension, spec/errata.md)', () => {
    expect(settings({ 'x-delivery-limit': 5 }).deliveryLimit).toBe(5);
    expect(settings({ 'x-delivery-limit': 0 }).deliveryLimit).toBe(0);
  });

  test('x-consumer-timeout is accepted, 0 included', () => {
    expect(settings({ 'x-consumer-timeout': 100 }).consumerTimeout).toBe(100);
    expect(settings({ 'x-consumer-timeout': 0 }).consumerTimeout).toBe(0);
  });
});

describe('parseQueueArguments: integer arguments, RabbitMQ 3.10 texts', () => {
  const INTEGER_ARGS = ['x-message-ttl', 'x-expires', 'x-max-length', 'x-max-length-bytes', 'x-max-priority'];
  const NON_INTEGERS: ReadonlyArray<readonly [string, string, FieldValue]> = [
    ['a string', 'longstr', 'abc'],
    ['a double', 'double', 1.5],
    ['a boolean', 'bool', true],
  ];

  describe.each(INTEGER_ARGS)('%s', (key) => {
    test.each(NON_INTEGERS)('%s is "expected integer, got %s"', (_what, type, value) => {
      expect(textFor({ [key]: value })).toBe(invalidArg(key, `"expected integer, got ${type}"`));
    });

    test('-1 is {value_negative,-1}', () => {
      expect(textFor({ [key]: -1 })).toBe(invalidArg(key, '{value_negative,-1}'));
    });
  });

  test('x-message-ttl above ten years is {value_too_large,N}', () => {
    expect(textFor({ 'x-message-ttl': 315360000001 })).toBe(
      "invalid arg 'x-message-ttl' for queue 'q' in vhost '/': {value_too_large,315360000001}",
    );
  });

  test('x-expires 0 is {value_zero,0}; above ten years is {value_too_large,N}', () => {
    expect(textFor({ 'x-expires': 0 })).toBe("invalid arg 'x-expires' for queue 'q' in vhost '/': {value_zero,0}");
    expect(textFor({ 'x-expires': 315360000001 })).toBe(
      "invalid arg 'x-expires' for queue 'q' in vhost '/': {value_too_large,315360000001}",
    );
  });

  test('x-max-priority above 255 is {max_value_exceeded,N}', () => {
    expect(textFor({ 'x-max-priority': 256 })).toBe(
      "invalid arg 'x-max-priority' for queue 'q' in vhost '/': {max_value_exceeded,256}",
    );
    expect(textFor({ 'x-max-priority': 1000 })).toBe(
      "invalid arg 'x-max-priority' for queue 'q' in vhost '/': {max_value_exceeded,1000}",
    );
  });

  test('x-max-length and x-max-length-bytes "x" are "expected integer, got longstr"', () => {
    expect(textFor({ 'x-max-length': 'x' })).toBe(
      `invalid arg 'x-max-length' for queue 'q' in vhost '/': "expected integer, got longstr"`,
    );
    expect(textFor({ 'x-max-length-bytes': 'x' })).toBe(
      `invalid arg 'x-max-length-bytes' for queue 'q' in vhost '/': "expected integer, got longstr"`,
    );
  });

  test('the error names the argument', () => {
    const err = rejection({ 'x-max-length': -1 });
    expect(err.key).toBe('x-max-length');
    expect(err.reason).toBe('{value_negative,-1}');
  });
});

describe('parseQueueArguments: x-overflow', () => {
  test("'bogus' is invalid_overflow", () => {
    expect(textFor({ 'x-overflow': 'bogus' })).toBe("invalid arg 'x-overflow' for queue 'q' in vhost '/': invalid_overflow");
  });

  const NOT_STRINGS: ReadonlyArray<readonly [string, string, FieldValue]> = [
    ['5', 'byte', 5],
    ['1000', 'short', 1000],
    ['100000', 'signedint', 100000],
    ['2^40', 'long', 2 ** 40],
    ['true', 'bool', true],
    ['1.5', 'double', 1.5],
    ['a table', 'table', { a: 1 }],
    ['an array', 'array', [1]],
    ['null', 'void', null],
    ['a timestamp', 'timestamp', new Date(1_700_000_000_000)],
    ['a Buffer', 'binary', Buffer.from('drop-head')],
  ];

  test.each(NOT_STRINGS)('%s is {unacceptable_type,%s}', (_what, type, value) => {
    expect(textFor({ 'x-overflow': value })).toBe(
      `invalid arg 'x-overflow' for queue 'q' in vhost '/': {unacceptable_type,${type}}`,
    );
  });

  test('a decimal is {unacceptable_type,decimal}', () => {
    expect(textFor({ 'x-overflow': new Decimal(1, 15) })).toBe(invalidArg('x-overflow', '{unacceptable_type,decimal}'));
  });
});

describe('parseQueueArguments: dead-letter arguments', () => {
  const NOT_STRINGS: ReadonlyArray<readonly [string, string, FieldValue]> = [
    ['5', 'byte', 5],
    ['1000', 'short', 1000],
    ['true', 'bool', true],
    ['a Buffer', 'binary', Buffer.from('dlx')],
  ];

  test.each(NOT_STRINGS)("x-dead-letter-exchange %s is the other shape: invalid type '%s' for arg", (_what, type, value) => {
    const err = rejection({ 'x-dead-letter-exchange': value });
    expect(err.textFor(WHAT)).toBe(`invalid type '${type}' for arg 'x-dead-letter-exchange' in queue 'q' in vhost '/'`);
  });

  test('x-dead-letter-routing-key without x-dead-letter-exchange is routing_key_but_no_dlx_defined', () => {
    expect(textFor({ 'x-dead-letter-routing-key': 'rk' })).toBe(
      "invalid arg 'x-dead-letter-routing-key' for queue 'q' in vhost '/': routing_key_but_no_dlx_defined",
    );
  });

  test('x-dead-letter-routing-key 5 is {unacceptable_type,byte}, with or without a DLX (the type error wins)', () => {
    const expected = "invalid arg 'x-dead-letter-routing-key' for queue 'q' in vhost '/': {unacceptable_type,byte}";
    expect(textFor({ 'x-dead-letter-routing-key': 5 })).toBe(expected);
    expect(textFor({ 'x-dead-letter-exchange': 'dlx', 'x-dead-letter-routing-key': 5 })).toBe(expected);
  });
});

describe('parseQueueArguments: x-single-active-consumer, x-queue-type, x-queue-mode', () => {
  test("x-single-active-consumer 'yes' is {unacceptable_type,longstr}, 1 is {unacceptable_type,byte}", () => {
    expect(textFor({ 'x-single-active-consumer': 'yes' })).toBe(
      "invalid arg 'x-single-active-consumer' for queue 'q' in vhost '/': {unacceptable_type,longstr}",
    );
    expect(textFor({ 'x-single-active-consumer': 1 })).toBe(
      "invalid arg 'x-single-active-consumer' for queue 'q' in vhost '/': {unacceptable_type,byte}",
    );
  });

  test("x-queue-type 'bogus' is \"unsupported queue type 'bogus'\", 5 is {unacceptable_type,byte}", () => {
    expect(textFor({ 'x-queue-type': 'bogus' })).toBe(
      `invalid arg 'x-queue-type' for queue 'q' in vhost '/': "unsupported queue type 'bogus'"`,
    );
    expect(textFor({ 'x-queue-type': 5 })).toBe("invalid arg 'x-queue-type' for queue 'q' in vhost '/': {unacceptable_type,byte}");
  });

  test("x-queue-mode 'bogus' is \"unsupported queue mode 'bogus'\", 5 is {unacceptable_type,byte}", () => {
    expect(textFor({ 'x-queue-mode': 'bogus' })).toBe(
      `invalid arg 'x-queue-mode' for queue 'q' in vhost '/': "unsupported queue mode 'bogus'"`,
    );
    expect(textFor({ 'x-queue-mode': 5 })).toBe("invalid arg 'x-queue-mode' for queue 'q' in vhost '/': {unacceptable_type,byte}");
  });
});

describe('ArgumentError.textFor', () => {
  test('names the queue and vhost it is given', () => {
    expect(new ArgumentError('x-overflow', 'invalid_overflow').textFor("queue 'orders' in vhost 'prod'")).toBe(
      "invalid arg 'x-overflow' for queue 'orders' in vhost 'prod': invalid_overflow",
    );
    expect(new ArgumentError('x-dead-letter-exchange', 'bool', true).textFor("queue 'orders' in vhost 'prod'")).toBe(
      "invalid type 'bool' for arg 'x-dead-letter-exchange' in queue 'orders' in vhost 'prod'",
    );
  });
});
