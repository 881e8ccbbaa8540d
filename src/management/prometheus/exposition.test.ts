import { escapeLabel, formatValue, renderExposition } from './exposition';
import { parseExposition } from '../test-support/exposition';

describe('renderExposition', () => {
  test('HELP and TYPE before the samples; labels quoted; families without samples left out', () => {
    const text = renderExposition([
      { name: 'rabbitmq_queues', help: 'Queues available', type: 'gauge', samples: [{ value: 2 }] },
      {
        name: 'rabbitmq_queue_messages_published_total',
        help: 'Total number of messages published to queues',
        type: 'counter',
        samples: [
          { labels: { vhost: '/', queue: 'a' }, value: 5 },
          { labels: { vhost: '/', queue: 'b' }, value: 0 },
        ],
      },
      { name: 'rabbitmq_channel_consumers', help: 'Consumers on a channel', type: 'gauge', samples: [] },
    ]);
    expect(text).toBe(
      [
        '# HELP rabbitmq_queues Queues available',
        '# TYPE rabbitmq_queues gauge',
        'rabbitmq_queues 2',
        '# HELP rabbitmq_queue_messages_published_total Total number of messages published to queues',
        '# TYPE rabbitmq_queue_messages_published_total counter',
        'rabbitmq_queue_messages_published_total{vhost="/",queue="a"} 5',
        'rabbitmq_queue_messages_published_total{vhost="/",queue="b"} 0',
        '',
      ].join('\n'),
    );
    expect(parseExposition(text).value('rabbitmq_queue_messages_published_total', { vhost: '/', queue: 'a' })).toBe(5);
  });

  test('label values escape backslash, double quote and newline; they parse back', () => {
    expect(escapeLabel('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const name = 'odd "queue"\\\nname, with={braces}';
    const text = renderExposition([
      { name: 'rabbitmq_queue_messages', help: 'Depth\nwith a newline', type: 'gauge', samples: [{ labels: { vhost: '/', queue: name }, value: 1 }] },
    ]);
    expect(text).toContain('# HELP rabbitmq_queue_messages Depth\\nwith a newline\n');
    const parsed = parseExposition(text);
    expect(parsed.samples).toEqual([{ name: 'rabbitmq_queue_messages', labels: { vhost: '/', queue: name }, value: 1 }]);
  });

  test('special values', () => {
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(Infinity)).toBe('+Inf');
    expect(formatValue(-Infinity)).toBe('-Inf');
    expect(formatValue(1.5)).toBe('1.5');
    expect(formatValue(1e21)).toBe('1e+21');
  });
});

describe('the test parser rejects what Prometheus would', () => {
  test.each([
    ['a sample without TYPE', 'rabbitmq_x 1\n'],
    ['a counter without _total', '# HELP rabbitmq_x x\n# TYPE rabbitmq_x counter\nrabbitmq_x 1\n'],
    ['no trailing newline', '# HELP rabbitmq_x x\n# TYPE rabbitmq_x gauge\nrabbitmq_x 1'],
    ['a bad value', '# HELP rabbitmq_x x\n# TYPE rabbitmq_x gauge\nrabbitmq_x one\n'],
    ['an unquoted label', '# HELP rabbitmq_x x\n# TYPE rabbitmq_x gauge\nrabbitmq_x{a=b} 1\n'],
    ['a duplicate series', '# HELP rabbitmq_x x\n# TYPE rabbitmq_x gauge\nrabbitmq_x{a="b"} 1\nrabbitmq_x{a="b"} 2\n'],
    ['a split family', '# HELP rabbitmq_x x\n# TYPE rabbitmq_x gauge\nrabbitmq_x 1\n# HELP rabbitmq_y y\n# TYPE rabbitmq_y gauge\nrabbitmq_y 1\nrabbitmq_x{a="b"} 1\n'],
    ['a TYPE without HELP', '# TYPE rabbitmq_x gauge\nrabbitmq_x 1\n'],
  ])('%s', (_what, text) => {
    expect(() => parseExposition(text)).toThrow();
  });
});
