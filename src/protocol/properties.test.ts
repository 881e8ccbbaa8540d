import { encodeBasicProperties } from './generated/amqp';
import { deliveryModeOf } from './properties';

describe('deliveryModeOf', () => {
  test.each([
    [{}, 0],
    [{ deliveryMode: 2 }, 2],
    [{ deliveryMode: 1 }, 1],
    [{ contentType: 'text/plain', contentEncoding: 'gzip', deliveryMode: 2 }, 2],
    [{ headers: { a: 'x'.repeat(300), b: { c: [1, 2] } }, deliveryMode: 2, priority: 9 }, 2],
    [{ contentType: 'a', headers: {}, messageId: 'm' }, 0],
  ])('reads delivery-mode from %j without decoding the rest', (props, expected) => {
    expect(deliveryModeOf(encodeBasicProperties(props))).toBe(expected);
  });

  test('truncated property bytes read as absent, never throw', () => {
    const full = encodeBasicProperties({ contentType: 'text/plain', headers: { k: 'v' }, deliveryMode: 2 });
    for (let cut = 0; cut < full.length; cut++) {
      expect(() => deliveryModeOf(full.subarray(0, cut))).not.toThrow();
    }
  });
});
