import {
  FRAME_METHOD,
  FrameReader,
  MethodId,
  bodyFrameParts,
  decodeMethodArgs,
  encodeBasicProperties,
  encodeHeaderFrame,
  encodeMethodFrame,
} from '../protocol';
import { parseArgs } from './args';
import type { PerfClient } from './client';
import { wallClockMs } from './clock';
import { Consumer } from './consumer';
import { Histogram } from './histogram';

/** What the consumer writes goes to `written`; frames come from a real FrameReader fed chunk by chunk. */
function harness(argv: string[]): { consumer: Consumer; latency: Histogram; written: Buffer[]; feed(chunks: Buffer[]): void } {
  const written: Buffer[] = [];
  const fake = { onFrame: null, onChunkEnd: null, socket: { destroyed: false, write: (b: Buffer) => written.push(Buffer.from(b)) } };
  const latency = new Histogram();
  const consumer = new Consumer(fake as unknown as PerfClient, parseArgs(argv), latency, 'ctag');
  const reader = new FrameReader(0);
  return {
    consumer,
    latency,
    written,
    feed(chunks) {
      for (const c of chunks) {
        reader.push(c);
        while (reader.next()) consumer.frame(reader);
        consumer.flushAcks();
      }
    },
  };
}

function delivery(tag: number, body: Buffer, frameMax = 131072): Buffer {
  return Buffer.concat([
    encodeMethodFrame(1, MethodId.BasicDeliver, { consumerTag: 'ctag', deliveryTag: tag, redelivered: false, exchange: '', routingKey: 'q' }),
    encodeHeaderFrame(1, 60, body.length, encodeBasicProperties({})),
    ...(body.length > 0 ? bodyFrameParts(1, body, frameMax) : []),
  ]);
}

function stamped(size: number, sentMs: number): Buffer {
  const b = Buffer.alloc(size, 1);
  if (size >= 8) b.writeDoubleLE(sentMs, 0);
  return b;
}

function acks(written: Buffer[]): { deliveryTag: number; multiple: boolean }[] {
  const reader = new FrameReader(0);
  for (const w of written) reader.push(w);
  const out: { deliveryTag: number; multiple: boolean }[] = [];
  while (reader.next()) {
    expect(reader.frameType).toBe(FRAME_METHOD);
    const p = reader.payload;
    expect(p.readUInt32BE(0)).toBe(MethodId.BasicAck);
    out.push(decodeMethodArgs(MethodId.BasicAck, p, 4, p.length));
  }
  return out;
}

describe('Consumer frame parsing', () => {
  const sizes = [0, 4, 16, 300];
  const stream = (now: number): Buffer => Buffer.concat(sizes.map((s, i) => delivery(i + 1, stamped(s, now - 5))));

  test('deliveries split at every byte boundary: every message counted once, latency read from the body', () => {
    const whole = stream(wallClockMs());
    for (let cut = 1; cut < whole.length; cut++) {
      const h = harness(['-a']);
      h.feed([whole.subarray(0, cut), whole.subarray(cut)]);
      expect(h.consumer.received).toBe(sizes.length);
      expect(h.latency.count).toBe(2); // the 16- and 300-byte bodies carry a send time
      expect(h.latency.quantile(1)).toBeGreaterThanOrEqual(4_000);
      expect(h.written).toEqual([]);
    }
  });

  test('one byte per chunk, and a body split over several body frames', () => {
    const now = wallClockMs();
    const whole = Buffer.concat([stream(now), delivery(5, stamped(1000, now - 5), 256)]);
    const h = harness(['-a']);
    h.feed(Array.from({ length: whole.length }, (_, i) => whole.subarray(i, i + 1)));
    expect(h.consumer.received).toBe(5);
    expect(h.latency.count).toBe(3);
  });

  test('manual ack, one per delivery', () => {
    const h = harness([]);
    h.feed([stream(wallClockMs())]);
    expect(acks(h.written)).toEqual([1, 2, 3, 4].map((deliveryTag) => ({ deliveryTag, multiple: false })));
  });

  test('--multi-ack-every 3: one multiple ack every 3 deliveries, tags above 2^32 intact', () => {
    const big = 2 ** 32 + 7;
    const h = harness(['-A', '3']);
    const body = stamped(16, wallClockMs());
    h.feed([Buffer.concat([1, 2, 3, 4, 5].map((t) => delivery(t, body))), Buffer.concat([delivery(big, body)])]);
    expect(acks(h.written)).toEqual([
      { deliveryTag: 3, multiple: true },
      { deliveryTag: big, multiple: true },
    ]);
  });

  test('-D 2: stops counting at 2 and acks what it took', () => {
    const h = harness(['-A', '10', '-D', '2']);
    let doneCalls = 0;
    h.consumer.onDone = () => doneCalls++;
    h.feed([stream(wallClockMs())]);
    expect(h.consumer.received).toBe(2);
    expect(h.consumer.done).toBe(true);
    expect(doneCalls).toBe(1);
    expect(acks(h.written)).toEqual([{ deliveryTag: 2, multiple: true }]);
  });
});
