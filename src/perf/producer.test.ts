import {
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_METHOD,
  FrameReader,
  MethodId,
  decodeMethodArgs,
  decodeBasicProperties,
  encodeMethodFrame,
} from '../protocol';
import { parseArgs } from './args';
import type { PerfClient } from './client';
import { wallClockMs } from './clock';
import { Producer, publishShape } from './producer';

function fakeClient(written: Buffer[]): PerfClient {
  const socket = { destroyed: false, write: (b: Buffer) => (written.push(Buffer.from(b)), true), once: () => socket };
  return { frameMax: 131072, onFrame: null, socket } as unknown as PerfClient;
}

function feed(p: Producer, frames: Buffer[]): void {
  const r = new FrameReader(0);
  r.push(Buffer.concat(frames));
  while (r.next()) p.frame(r);
}

describe('Producer', () => {
  test('the publish shape: publish + header + body per message, the send time patched into each body', async () => {
    const written: Buffer[] = [];
    const before = wallClockMs();
    const p = new Producer(fakeClient(written), parseArgs(['-C', '3', '-s', '20', '-f', 'persistent', '-e', 'ex', '-k', 'rk']));
    p.start();
    expect(p.sent).toBe(3);
    const r = new FrameReader(0);
    for (const w of written) r.push(w);
    for (let i = 0; i < 3; i++) {
      expect(r.next()).toBe(true);
      expect(r.frameType).toBe(FRAME_METHOD);
      const m = r.payload;
      expect(m.readUInt32BE(0)).toBe(MethodId.BasicPublish);
      expect(decodeMethodArgs(MethodId.BasicPublish, m, 4, m.length)).toMatchObject({ exchange: 'ex', routingKey: 'rk' });
      expect(r.next()).toBe(true);
      expect(r.frameType).toBe(FRAME_HEADER);
      expect(Number(r.payload.readBigUInt64BE(4))).toBe(20);
      expect(decodeBasicProperties(r.payload, 12, r.payload.length).deliveryMode).toBe(2);
      expect(r.next()).toBe(true);
      expect(r.frameType).toBe(FRAME_BODY);
      expect(r.payload.length).toBe(20);
      const sentAt = r.payload.readDoubleLE(0);
      expect(sentAt).toBeGreaterThanOrEqual(before);
      expect(sentAt).toBeLessThanOrEqual(wallClockMs());
    }
    expect(r.next()).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(p.done).toBe(true);
  });

  test('a small body is left as it is (no room for a send time)', () => {
    expect(publishShape(parseArgs(['-s', '4']), 131072).timestampOffset).toBe(-1);
    expect(publishShape(parseArgs(['-s', '8']), 131072).timestampOffset).toBeGreaterThan(0);
  });

  test('confirms: out-of-order single acks, multiple acks, nacks and duplicates each count a sequence number once', () => {
    const written: Buffer[] = [];
    const p = new Producer(fakeClient(written), parseArgs(['-c', '10', '-C', '12']));
    let doneCalls = 0;
    p.onDone = () => doneCalls++;
    p.start();
    expect(p.sent).toBe(10); // the window
    const ack = (tag: number, multiple: boolean): Buffer => encodeMethodFrame(1, MethodId.BasicAck, { deliveryTag: tag, multiple });
    const nack = (tag: number, multiple: boolean): Buffer =>
      encodeMethodFrame(1, MethodId.BasicNack, { deliveryTag: tag, multiple, requeue: false });
    feed(p, [ack(3, false), ack(1, false), ack(3, false)]);
    expect([p.confirmed, p.nacked]).toEqual([2, 0]);
    expect(p.sent).toBe(12); // two settled: two more published, and that is the count
    feed(p, [ack(5, true), nack(7, false)]);
    expect([p.confirmed, p.nacked]).toEqual([5, 1]);
    feed(p, [ack(10, true), ack(2, false)]);
    expect([p.confirmed, p.nacked]).toEqual([9, 1]);
    expect(p.done).toBe(false);
    feed(p, [nack(12, true)]);
    expect([p.confirmed, p.nacked]).toEqual([9, 3]);
    expect(p.done).toBe(true);
    expect(doneCalls).toBe(1);
  });
});
