import { DEFAULTS, FLAGS, UsageError, helpText, parseArgs, parseUri } from './args';

describe('leveret-perf arguments', () => {
  test('defaults: one producer, one consumer, 16 bytes, manual ack, routing key = queue name', () => {
    const o = parseArgs([]);
    expect(o).toEqual({ ...DEFAULTS, routingKey: 'leveret-perf' });
    expect(o.uri).toBe('amqp://guest:guest@localhost:5672');
  });

  test('every flag, short forms', () => {
    const o = parseArgs([
      '-x', '3', '-y', '2', '-s', '1000', '-u', 'q1', '-e', 'ex', '-t', 'topic', '-k', 'a.b', '-a', '-q', '50',
      '-f', 'persistent', '-f', 'mandatory', '-c', '100', '-A', '10', '-r', '5000', '-z', '30', '-C', '7', '-D', '9',
      '-h', 'amqp://u:p@h:1234/v', '--json',
    ]);
    expect(o).toEqual({
      uri: 'amqp://u:p@h:1234/v', producers: 3, consumers: 2, size: 1000, queue: 'q1', exchange: 'ex',
      exchangeType: 'topic', routingKey: 'a.b', autoAck: true, prefetch: 50, persistent: true, mandatory: true,
      confirm: 100, multiAckEvery: 10, rate: 5000, time: 30, producerCount: 7, consumerCount: 9, json: true, help: false,
    });
  });

  test('long forms, with = or a separate value', () => {
    const o = parseArgs(['--producers=2', '--consumers', '0', '--multi-ack-every', '5', '--uri=amqp://x', '--queue', 'q', '--help']);
    expect(o).toMatchObject({ producers: 2, consumers: 0, multiAckEvery: 5, uri: 'amqp://x', queue: 'q', routingKey: 'q', help: true });
  });

  test.each([
    [['-z'], '-z needs a value (SECONDS)'],
    [['-x', 'two'], "-x needs a non-negative integer, got 'two'"],
    [['-s', '-1'], "-s needs a non-negative integer, got '-1'"],
    [['--bogus'], "unknown flag '--bogus' (see --help)"],
    [['-f', 'fast'], "-f takes persistent or mandatory, got 'fast'"],
    [['--json=1'], '--json takes no value'],
    [['-x', '0', '-y', '0'], 'nothing to do: -x 0 and -y 0'],
    [['--uri', 'http://x'], "--uri must start with amqp:// (TLS is not supported), got 'http://x'"],
    [['-q', '70000'], '-q is at most 65535, got 70000'],
  ])('bad input %j: UsageError', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });

  test('--help lists every flag', () => {
    const text = helpText();
    for (const f of FLAGS) expect(text).toContain(f.long);
    expect(text).toContain('-A, --multi-ack-every N');
  });

  test('URI parts, with defaults', () => {
    expect(parseUri('amqp://u%40:p@example:5673/v%2Fh')).toEqual({ host: 'example', port: 5673, user: 'u@', password: 'p', vhost: 'v/h' });
    expect(parseUri('amqp://localhost')).toEqual({ host: 'localhost', port: 5672, user: 'guest', password: 'guest', vhost: '/' });
  });
});
