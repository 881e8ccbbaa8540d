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
import { Histogram } from './histogram';
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
    expect(publishShape(parseArgs(['-s', '4']), 131072).stamps).toBeNull();
    expect(publishShape(parseArgs(['-s', '8']), 131072).stamps![0]).toBeGreaterThan(0);
  });

  test('--routing-keys: the keys in turn, message after message, across writes and event-loop turns', async () => {
    const keys = Array.from({ length: 1000 }, (_, j) => `s${j % 100}.m${j % 7}.k${j}`);
    const written: Buffer[] = [];
    const p = new Producer(fakeClient(written), parseArgs(['-C', '25000', '-e', 'ex', '--routing-keys', keys.join(',')]));
    const done = new Promise<void>((resolve) => (p.onDone = resolve));
    p.start();
    await done;
    expect(written.length).toBeGreaterThan(8); // several writes, more than one turn
    const r = new FrameReader(0);
    for (const w of written) r.push(w);
    let i = 0;
    while (r.next()) {
      if (r.frameType !== FRAME_METHOD) continue;
      const m = r.payload;
      const key = decodeMethodArgs(MethodId.BasicPublish, m, 4, m.length).routingKey;
      if (key !== keys[i % 1000]) throw new Error(`message ${i}: key ${key}, expected ${keys[i % 1000]}`);
      i++;
    }
    expect(i).toBe(25_000);
  });

  test('-c: publish -> confirm latency per message, each settled sequence number recorded once', async () => {
    const written: Buffer[] = [];
    const h = new Histogram();
    const p = new Producer(fakeClient(written), parseArgs(['-c', '10', '-C', '12']), h);
    p.start();
    expect(p.sent).toBe(10);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const ack = (tag: number, multiple: boolean): Buffer => encodeMethodFrame(1, MethodId.BasicAck, { deliveryTag: tag, multiple });
    feed(p, [ack(3, false), ack(3, false), ack(5, true)]); // 1-5, 3 once; 11 and 12 are published now
    expect(h.count).toBe(5);
    expect(h.quantile(0.01)).toBeGreaterThanOrEqual(15_000); // µs: they waited about 20 ms
    expect(h.max).toBeLessThan(2_000_000);
    feed(p, [encodeMethodFrame(1, MethodId.BasicNack, { deliveryTag: 12, multiple: true, requeue: false })]);
    expect(h.count).toBe(12);
    expect(h.quantile(0.01)).toBeLessThan(15_000); // 11 and 12 were sent just now
    expect(p.done).toBe(true);
  });

  test('-r 10000: the messages due each 1 ms tick, never a batch; after a stall at most 10 ms of catch-up', () => {
    jest.useFakeTimers(); // performance.now() included: deterministic ticks
    try {
      const writes: { at: number; messages: number }[] = [];
      let stallAt = -1;
      let drain: (() => void) | null = null;
      const socket = {
        destroyed: false,
        write: (b: Buffer) => {
          const r = new FrameReader(0);
          r.push(b);
          let n = 0;
          while (r.next()) if (r.frameType === FRAME_METHOD) n++;
          writes.push({ at: performance.now(), messages: n });
          return writes.length !== stallAt; // false: the socket's buffer is full until 'drain'
        },
        once: (_event: string, fn: () => void) => ((drain = fn), socket),
      };
      const p = new Producer({ frameMax: 131072, onFrame: null, socket } as unknown as PerfClient, parseArgs(['-r', '10000']));
      expect(publishShape(parseArgs([]), 131072).perWrite).toBeGreaterThan(500); // what a burst would be
      const t0 = performance.now();
      p.start();
      for (let ms = 0; ms < 500; ms++) jest.advanceTimersByTime(1);
      expect(p.sent).toBe(5000);
      expect(writes.length).toBe(500);
      expect(writes.every((w) => w.messages === 10)).toBe(true);
      expect(writes[499]!.at - t0).toBe(500);
      // A full socket for 50 ms: then 10 ms worth at once, and the schedule slips by the rest.
      stallAt = writes.length + 1;
      jest.advanceTimersByTime(1);
      expect(drain).not.toBeNull();
      jest.advanceTimersByTime(50);
      drain!();
      expect(writes[writes.length - 1]!.messages).toBe(100);
      const before = p.sent;
      for (let ms = 0; ms < 100; ms++) jest.advanceTimersByTime(1);
      expect(p.sent - before).toBe(1000);
      expect(Math.max(...writes.slice(-100).map((w) => w.messages))).toBe(10);
      p.stop();
    } finally {
      jest.useRealTimers();
    }
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
    expect(p.sent).toBe(11); // 1 settled in order: one more; 3 out of order frees nothing (slot 13 % 10 is 3's)
    feed(p, [ack(5, true), nack(7, false)]);
    expect([p.confirmed, p.nacked]).toEqual([5, 1]);
    expect(p.sent).toBe(12); // the count
    feed(p, [ack(10, true), ack(2, false)]);
    expect([p.confirmed, p.nacked]).toEqual([9, 1]);
    expect(p.done).toBe(false);
    feed(p, [nack(12, true)]);
    expect([p.confirmed, p.nacked]).toEqual([9, 3]);
    expect(p.done).toBe(true);
    expect(doneCalls).toBe(1);
  });
});
