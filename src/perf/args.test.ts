import { DEFAULTS, FLAGS, UsageError, forClient, helpText, parseArgs, parseUri, queueNames } from './args';

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
      routingKeyIsQueue: false, routingKeys: [], queuePattern: '', queuePatternFrom: 1, queuePatternTo: 1, predeclared: false,
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
    [['--queue-pattern', 'q'], "--queue-pattern needs a %d, got 'q'"],
    [['--queue-pattern', 'q-%d', '--queue-pattern-from', '5', '--queue-pattern-to', '4'], '--queue-pattern-to (4) is below --queue-pattern-from (5)'],
    [['--routing-keys', `a,${'k'.repeat(256)}`], '--routing-keys: a routing key is at most 255 bytes'],
  ])('bad input %j: UsageError', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });

  test('--queue-pattern: the queues in order; producers and consumers round-robin over them', () => {
    const o = parseArgs(['--queue-pattern', 'perf-%d', '--queue-pattern-from', '3', '--queue-pattern-to', '5', '-y', '7']);
    expect(queueNames(o)).toEqual(['perf-3', 'perf-4', 'perf-5']);
    expect(o.queue).toBe('perf-3');
    const consumers = Array.from({ length: o.consumers }, (_, i) => forClient(o, i));
    expect(consumers.map((c) => c.queue)).toEqual(['perf-3', 'perf-4', 'perf-5', 'perf-3', 'perf-4', 'perf-5', 'perf-3']);
    expect(consumers.map((c) => c.routingKey)).toEqual(consumers.map((c) => c.queue)); // no -k: each queue's name
    const keyed = parseArgs(['--queue-pattern', 'perf-%d', '--queue-pattern-to', '2', '-e', 'ex', '-k', 'all']);
    expect([forClient(keyed, 0), forClient(keyed, 1)].map((c) => [c.queue, c.routingKey])).toEqual([['perf-1', 'all'], ['perf-2', 'all']]);
    const single = parseArgs(['-u', 'one']);
    expect(forClient(single, 4)).toBe(single);
    expect(queueNames(single)).toEqual(['one']);
  });

  test('-p and --routing-keys', () => {
    expect(parseArgs(['-p']).predeclared).toBe(true);
    expect(parseArgs(['--predeclared', '--routing-keys', 'a.b,c,d.e.f']).routingKeys).toEqual(['a.b', 'c', 'd.e.f']);
  });

  test('--help lists every flag', () => {
    const text = helpText();
    for (const f of FLAGS) expect(text).toContain(f.long);
    expect(text).toContain('-A, --multi-ack-every N');
    expect(text).toContain('-p, --predeclared');
    expect(text).toContain('-y consumers and -x producers in total, round-robin');
  });

  test('URI parts, with defaults', () => {
    expect(parseUri('amqp://u%40:p@example:5673/v%2Fh')).toEqual({ host: 'example', port: 5673, user: 'u@', password: 'p', vhost: 'v/h' });
    expect(parseUri('amqp://localhost')).toEqual({ host: 'localhost', port: 5672, user: 'guest', password: 'guest', vhost: '/' });
  });
});
