import { LoginThrottle, logLoginRefused, peerKey } from './login-throttle';

/** A throttle on a clock the test moves by hand. */
function throttle(options: { maxPeers?: number } = {}): { logins: LoginThrottle; clock: { ms: number } } {
  const clock = { ms: 1_000_000 };
  return { logins: new LoginThrottle({ now: () => clock.ms, ...options }), clock };
}

describe('LoginThrottle', () => {
  test('no delay for a first failure; then 100, 200, 400, 800, 1600 ms, capped at 2 s', () => {
    const { logins } = throttle();
    const delays = Array.from({ length: 9 }, () => logins.failed('192.0.2.7'));
    expect(delays).toEqual([0, 100, 200, 400, 800, 1600, 2000, 2000, 2000]);
  });

  test('peers are counted apart: one failing peer does not slow another', () => {
    const { logins } = throttle();
    for (let i = 0; i < 5; i++) logins.failed('192.0.2.7');
    expect(logins.failed('192.0.2.8')).toBe(0);
    expect(logins.failed('192.0.2.7')).toBe(1600);
  });

  test('failures decay: one is forgotten every 10 s, and a quiet peer is dropped', () => {
    const { logins, clock } = throttle();
    for (let i = 0; i < 3; i++) logins.failed('192.0.2.7');
    expect(logins.failures('192.0.2.7')).toBe(3);
    clock.ms += 10_000;
    expect(logins.failures('192.0.2.7')).toBe(2);
    // Two remembered: the next refusal is held 200 ms, as the third failure in a row would be.
    expect(logins.failed('192.0.2.7')).toBe(200);
    clock.ms += 29_999;
    expect(logins.failures('192.0.2.7')).toBeCloseTo(0.0001, 4);
    expect(logins.failed('192.0.2.7')).toBe(100);
    clock.ms += 20_000;
    expect(logins.failures('192.0.2.7')).toBe(0);
    expect(logins.size).toBe(0);
    expect(logins.failed('192.0.2.7')).toBe(0);
  });

  test('a long attack is remembered for minutes, not for ever', () => {
    const { logins, clock } = throttle();
    for (let i = 0; i < 1000; i++) logins.failed('192.0.2.7');
    expect(logins.failures('192.0.2.7')).toBe(12);
    clock.ms += 120_000;
    expect(logins.failed('192.0.2.7')).toBe(0);
  });

  test('memory is bounded: past maxPeers the peer that failed longest ago is evicted', () => {
    const { logins, clock } = throttle({ maxPeers: 3 });
    for (const peer of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) {
      logins.failed(peer);
      clock.ms += 1;
    }
    logins.failed('10.0.0.1'); // now the most recent
    logins.failed('10.0.0.4'); // evicts 10.0.0.2, the oldest
    expect(logins.size).toBe(3);
    expect(logins.failures('10.0.0.2')).toBe(0);
    expect(logins.failures('10.0.0.1')).toBeGreaterThan(1.9);
    expect(logins.failures('10.0.0.3')).toBeGreaterThan(0.9);
    expect(logins.failures('10.0.0.4')).toBe(1);
  });

  test('a flood of distinct peers stays within maxPeers', () => {
    const { logins } = throttle({ maxPeers: 100 });
    for (let i = 0; i < 10_000; i++) logins.failed(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(logins.size).toBe(100);
  });

  test('an IPv6 host is one peer across its /64; an IPv4-mapped address is the IPv4 peer', () => {
    const { logins } = throttle();
    logins.failed('2001:db8:1:2::1');
    expect(logins.failed('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(100);
    expect(logins.failed('2001:db8:1:3::1')).toBe(0);
    logins.failed('192.0.2.9');
    expect(logins.failed('::ffff:192.0.2.9')).toBe(100);
  });
});

describe('peerKey', () => {
  test.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::1', '0:0:0:0::/64'],
    ['2001:DB8:0:0:1::1', '2001:db8:0:0::/64'],
    ['2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff', '2001:db8:aaaa:bbbb::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['2001:db8:1:2:3:4:1.2.3.4', '2001:db8:1:2::/64'],
    ['::', '0:0:0:0::/64'],
    [undefined, '?'],
    ['', '?'],
  ])('%s counts as %s', (address, key) => {
    expect(peerKey(address)).toBe(key);
  });
});

describe('logLoginRefused', () => {
  test('one warn line with protocol, mechanism, peer, user, reason and delay', () => {
    const lines: Array<[object, string]> = [];
    logLoginRefused(
      { warn: (details, message) => lines.push([details, message]) },
      { protocol: 'amqp', mechanism: 'PLAIN', peer: '192.0.2.7', user: 'guest', reason: 'invalid credentials', delayMs: 100 },
    );
    expect(lines).toEqual([
      [{ protocol: 'amqp', mechanism: 'PLAIN', peer: '192.0.2.7', user: 'guest', reason: 'invalid credentials', delayMs: 100 }, 'login refused'],
    ]);
  });

  test('a very long user name is cut to 256 characters', () => {
    const lines: object[] = [];
    logLoginRefused(
      { warn: (details) => lines.push(details) },
      { protocol: 'http', mechanism: 'basic', peer: '192.0.2.7', user: 'u'.repeat(100_000), reason: 'invalid credentials', delayMs: 0 },
    );
    expect((lines[0] as { user: string }).user).toBe(`${'u'.repeat(256)}...`);
  });
});
