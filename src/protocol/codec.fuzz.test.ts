/**
 * Fuzz properties (fast-check) over the codec: random bytes and mutated valid frames (bits flipped, bytes
 * overwritten, inserted, deleted, truncated) fed to the frame reader, the method decoder, the property decoder and
 * the field-table decoder never throw anything but the protocol's errors (FrameError, FrameSyntaxError,
 * UnknownMethodError, AmqpError), and never hang: inputs are bounded and every loop consumes bytes.
 * The cheap property readers, which answer "absent" for malformed bytes, must not throw at all.
 */
import fc from 'fast-check';
import { AmqpError } from './amqp-error';
import { FrameError, FrameSyntaxError, UnknownMethodError } from './errors';
import { encodeTable, readTableAt } from './field-table';
import { WideTimestamp } from './field-value';
import { FrameReader } from './frame-reader';
import { encodeHeaderFrame, encodeBodyFrame, HEARTBEAT_FRAME } from './frames';
import {
  FRAME_HEADER,
  FRAME_METHOD,
  decodeBasicProperties,
  decodeMethodArgs,
  encodeBasicProperties,
  encodeMethodFrame,
  type BasicProperties,
} from './generated/amqp';
import { deliveryModeOf, expirationOf, hasSenderKeyHeader, parseExpiration, priorityOf, timestampOf } from './properties';
import { checkProperties, headersBytes } from './property-list';
import {
  argsArbitrary,
  cuts,
  fieldTable,
  mutate,
  mutation,
  propertiesArbitrary,
  split,
  wireTable,
} from './test-support/arbitraries';
import { specMethods } from './test-support/random';

const RUNS = 3000;

function isProtocolError(err: unknown): boolean {
  return (
    err instanceof FrameError || err instanceof FrameSyntaxError || err instanceof UnknownMethodError || err instanceof AmqpError
  );
}

/** Runs f; an exception other than the protocol's errors fails the property (with the error as the reason). */
function onlyProtocolErrors(f: () => void): void {
  try {
    f();
  } catch (err) {
    if (!isProtocolError(err)) throw err;
  }
}

/**
 * What f gives: its result, or the protocol error it throws. Results are compared as decoded, not re-encoded: a
 * property shortstr of invalid UTF-8 decodes (for reading only) to U+FFFD and may then be too long to encode, which
 * is spec/errata.md's documented leniency (such properties travel as bytes and are never re-encoded).
 */
function outcome(f: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: canonical(f()) };
  } catch (err) {
    if (!isProtocolError(err)) throw err;
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

/**
 * A decoded value in a form toEqual compares exactly: jest finds two invalid Dates (WideTimestamps) unequal and
 * ignores classes, so wrappers are spelled out with their class and bytes with their hex.
 */
function canonical(v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (v instanceof WideTimestamp) return `T${v.seconds}`;
  if (v instanceof Date) return `T${v.getTime()}`;
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    return [v.constructor?.name ?? 'null', Object.entries(v).map(([k, x]) => [k, canonical(x)])];
  }
  return v;
}

/** The cheap readers and the validator: malformed bytes give an answer, never an exception. */
function readCheaply(properties: Buffer): void {
  deliveryModeOf(properties);
  hasSenderKeyHeader(properties);
  priorityOf(properties);
  expirationOf(properties);
  timestampOf(properties);
  parseExpiration(properties);
  checkProperties(properties);
  headersBytes(properties);
}

/** What the connection does with a frame's payload: decode the method or the content header's properties. */
function decodePayload(type: number, payload: Buffer): void {
  if (type === FRAME_METHOD) {
    if (payload.length < 4) throw new FrameSyntaxError('method frame shorter than its ids');
    decodeMethodArgs(payload.readUInt32BE(0), payload, 4, payload.length);
  } else if (type === FRAME_HEADER) {
    if (payload.length < 14) throw new FrameSyntaxError('content header shorter than its fixed part');
    const properties = payload.subarray(12);
    readCheaply(properties);
    decodeBasicProperties(properties, 0, properties.length);
  }
}

/** Feeds chunks to a frame reader and decodes every frame it hands out. Bounded: each frame consumes >= 8 bytes. */
function readAll(chunks: readonly Buffer[], maxFrameSize: number): number {
  const reader = new FrameReader(maxFrameSize);
  let frames = 0;
  for (const c of chunks) {
    reader.push(c);
    while (reader.next()) {
      frames++;
      onlyProtocolErrors(() => decodePayload(reader.frameType, reader.payload));
    }
  }
  return frames;
}

const frameMax = fc.constantFrom(0, 4096, 131072);

const methodFrame = fc
  .constantFrom(...specMethods)
  .chain((m) => argsArbitrary(m).map((args) => encodeMethodFrame(1, m.id, args)));
const headerFrame = propertiesArbitrary.map((p) => encodeHeaderFrame(1, 60, 10, encodeBasicProperties(p as BasicProperties)));
const bodyFrame = fc.uint8Array({ maxLength: 64 }).map((a) => encodeBodyFrame(1, Buffer.from(a), 0, a.length));
const validFrame = fc.oneof(methodFrame, headerFrame, bodyFrame, fc.constant(HEARTBEAT_FRAME));
const traffic = fc.array(validFrame, { minLength: 1, maxLength: 4 }).map((fs) => Buffer.concat(fs));
const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });
const randomBytes = fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a));

describe('fuzz: the frame reader and decoders on bad bytes', () => {
  it('random bytes, split anywhere', () => {
    fc.assert(
      fc.property(randomBytes, cuts, frameMax, (bytes, points, max) => {
        onlyProtocolErrors(() => readAll(split(bytes, points), max));
      }),
      { numRuns: RUNS },
    );
  });

  it('random bytes after a valid frame header (type, channel, exact size)', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 3, 8), randomBytes, cuts, (type, payload, points) => {
        const frame = Buffer.alloc(payload.length + 8);
        frame[0] = type;
        frame.writeUInt32BE(payload.length, 3);
        payload.copy(frame, 7);
        frame[frame.length - 1] = 0xce;
        onlyProtocolErrors(() => expect(readAll(split(frame, points), 0)).toBe(1));
      }),
      { numRuns: RUNS },
    );
  });

  it('mutated valid traffic (method, header, body and heartbeat frames), split anywhere', () => {
    fc.assert(
      fc.property(traffic, mutations, cuts, frameMax, (bytes, ms, points, max) => {
        onlyProtocolErrors(() => readAll(split(mutate(bytes, ms), points), max));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: the method decoder', () => {
  it('every method id over random argument bytes', () => {
    fc.assert(
      fc.property(fc.constantFrom(...specMethods), randomBytes, (m, bytes) => {
        onlyProtocolErrors(() => decodeMethodArgs(m.id, bytes, 0, bytes.length));
      }),
      { numRuns: RUNS },
    );
  });

  it('every method over its own mutated arguments (lengths and bits damaged, fields cut short)', () => {
    fc.assert(
      fc.property(methodFrame, mutations, (frame, ms) => {
        const id = frame.readUInt32BE(7);
        const args = mutate(frame.subarray(11, frame.length - 1), ms);
        onlyProtocolErrors(() => decodeMethodArgs(id, args, 0, args.length));
      }),
      { numRuns: RUNS },
    );
  });

  it('any id, including unknown ones', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), randomBytes, (id, bytes) => {
        onlyProtocolErrors(() => decodeMethodArgs(id, bytes, 0, bytes.length));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: the property decoder', () => {
  const mutatedProperties = fc
    .tuple(propertiesArbitrary, mutations)
    .map(([p, ms]) => mutate(encodeBasicProperties(p as BasicProperties), ms));

  it('random and mutated property bytes: decoding throws only protocol errors, the cheap readers nothing', () => {
    fc.assert(
      fc.property(fc.oneof(randomBytes, mutatedProperties), (bytes) => {
        readCheaply(bytes);
        onlyProtocolErrors(() => decodeBasicProperties(bytes, 0, bytes.length));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: the field-table decoder', () => {
  const tableBytes = fc.oneof(wireTable, fieldTable.map(encodeTable));

  it('random and mutated tables; what decodes re-encodes without error', () => {
    fc.assert(
      fc.property(fc.oneof(randomBytes, fc.tuple(tableBytes, mutations).map(([b, ms]) => mutate(b, ms))), (bytes) => {
        let table;
        try {
          table = readTableAt(bytes, 0, bytes.length);
        } catch (err) {
          if (isProtocolError(err)) return;
          throw err;
        }
        encodeTable(table);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: decoders stop at the end they are given', () => {
  const garbage = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => Buffer.from(a));
  const damaged = (valid: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> =>
    fc.oneof(valid, fc.tuple(valid, mutations).map(([b, ms]) => mutate(b, ms)));

  it('method arguments: bytes after end change nothing', () => {
    fc.assert(
      fc.property(damaged(methodFrame), garbage, (frame, extra) => {
        if (frame.length < 11) return;
        const id = frame.readUInt32BE(7);
        const args = frame.subarray(11);
        const decode = (b: Buffer) => () => decodeMethodArgs(id, b, 0, args.length);
        expect(outcome(decode(Buffer.concat([args, extra])))).toEqual(outcome(decode(args)));
      }),
      { numRuns: RUNS / 3 },
    );
  });

  it('properties: bytes after end change nothing', () => {
    const properties = propertiesArbitrary.map((p) => encodeBasicProperties(p as BasicProperties));
    fc.assert(
      fc.property(damaged(properties), garbage, (bytes, extra) => {
        const decode = (b: Buffer) => () => decodeBasicProperties(b, 0, bytes.length);
        expect(outcome(decode(Buffer.concat([bytes, extra])))).toEqual(outcome(decode(bytes)));
      }),
      { numRuns: RUNS / 3 },
    );
  });

  it('field tables: bytes after end change nothing', () => {
    fc.assert(
      fc.property(damaged(fc.oneof(wireTable, fieldTable.map(encodeTable))), garbage, (bytes, extra) => {
        const decode = (b: Buffer) => () => readTableAt(b, 0, bytes.length);
        expect(outcome(decode(Buffer.concat([bytes, extra])))).toEqual(outcome(decode(bytes)));
      }),
      { numRuns: RUNS / 3 },
    );
  });
});
