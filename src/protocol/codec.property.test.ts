/**
 * Property tests (fast-check) over the codec: every method of every class and every basic property set round-trips,
 * decoded frames re-encode to the bytes they came from, and field tables of every wire type survive a decode. On a
 * failure fast-check prints the seed and the shrunk counterexample; rerun with `fc.assert(..., { seed, path })`.
 * Mutated and random bytes are in codec.fuzz.test.ts.
 */
import fc from 'fast-check';
import { readTableAt, encodeTable, tablesEqual, type FieldTable } from './field-table';
import { FrameReader } from './frame-reader';
import { encodeHeaderFrame } from './frames';
import {
  FRAME_HEADER,
  FRAME_METHOD,
  decodeBasicProperties,
  decodeMethodArgs,
  encodeBasicProperties,
  encodeMethodFrame,
  methodInfo,
  type BasicProperties,
} from './generated/amqp';
import {
  argsArbitrary,
  cuts,
  fieldTable,
  propertiesArbitrary,
  split,
  wireTable,
} from './test-support/arbitraries';
import { basicProperties, specMethods, type SpecMethod } from './test-support/random';

/** Runs per method (x 50 methods); the whole file stays within a few seconds on a loaded 2-core machine. */
const RUNS_PER_METHOD = 100;
const RUNS = 1000;

/** Field by field: tables by the codec's own deep equality (key order ignored), everything else by toEqual. */
function expectSameArgs(m: SpecMethod, actual: Record<string, unknown>, expected: Record<string, unknown>): void {
  expect(Object.keys(actual)).toEqual(m.fields.map((f) => f.camel));
  for (const f of m.fields) {
    if (f.type === 'table') expect(tablesEqual(actual[f.camel] as FieldTable, expected[f.camel] as FieldTable)).toBe(true);
    else expect(actual[f.camel]).toEqual(expected[f.camel]);
  }
}

function expectSameProperties(actual: BasicProperties, expected: Record<string, unknown>): void {
  const a = actual as Record<string, unknown>;
  expect(Object.keys(a).filter((k) => a[k] !== undefined).sort()).toEqual(Object.keys(expected).sort());
  for (const p of basicProperties) {
    if (p.type === 'table' && expected[p.camel] !== undefined) {
      expect(tablesEqual(a[p.camel] as FieldTable, expected[p.camel] as FieldTable)).toBe(true);
    } else {
      expect(a[p.camel]).toEqual(expected[p.camel]);
    }
  }
}

/** Reads every complete frame from chunks; throws if bytes are left over. */
function readFrames(chunks: readonly Buffer[]): { type: number; channel: number; payload: Buffer }[] {
  const reader = new FrameReader(0);
  const frames: { type: number; channel: number; payload: Buffer }[] = [];
  for (const c of chunks) {
    reader.push(c);
    while (reader.next()) frames.push({ type: reader.frameType, channel: reader.channel, payload: Buffer.from(reader.payload) });
  }
  expect(reader.bufferedBytes).toBe(0);
  return frames;
}

describe('property: every method round-trips', () => {
  it('the spec has the methods the generated codec knows', () => {
    expect(specMethods.length).toBeGreaterThanOrEqual(50);
    for (const m of specMethods) expect(methodInfo(m.id)?.fields).toEqual(m.fields.map((f) => f.camel));
  });

  it.each(specMethods.map((m) => [m.name, m] as const))('%s: encode, decode, equal; re-encode, same bytes', (_n, m) => {
    fc.assert(
      fc.property(argsArbitrary(m), fc.nat(0xffff), (args, channel) => {
        const frame = encodeMethodFrame(channel, m.id, args);
        expect(frame[0]).toBe(FRAME_METHOD);
        expect(frame.readUInt16BE(1)).toBe(channel);
        expect(frame.readUInt32BE(3)).toBe(frame.length - 8);
        expect(frame.readUInt32BE(7)).toBe(m.id);
        const decoded = decodeMethodArgs(m.id, frame, 11, frame.length - 1) as Record<string, unknown>;
        expectSameArgs(m, decoded, args);
        expect(encodeMethodFrame(channel, m.id, decoded).equals(frame)).toBe(true);
      }),
      { numRuns: RUNS_PER_METHOD },
    );
  });
});

describe('property: basic properties round-trip', () => {
  it('any subset of the 14 properties: encode, decode, equal; re-encode, same bytes', () => {
    expect(basicProperties).toHaveLength(14);
    fc.assert(
      fc.property(propertiesArbitrary, (props) => {
        const bytes = encodeBasicProperties(props as BasicProperties);
        const decoded = decodeBasicProperties(bytes, 0, bytes.length);
        expectSameProperties(decoded, props);
        expect(encodeBasicProperties(decoded).equals(bytes)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('the flags word has exactly the bits of the properties present, in spec order', () => {
    fc.assert(
      fc.property(propertiesArbitrary, (props) => {
        const flags = encodeBasicProperties(props as BasicProperties).readUInt16BE(0);
        basicProperties.forEach((p, i) => expect((flags >> (15 - i)) & 1).toBe(p.camel in props ? 1 : 0));
        expect(flags & 3).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('property: field tables', () => {
  it('a table of every encodable type, nested: encode, decode, equal; re-encode, same bytes', () => {
    fc.assert(
      fc.property(fieldTable, (table) => {
        const bytes = encodeTable(table);
        const decoded = readTableAt(bytes, 0, bytes.length);
        expect(tablesEqual(decoded, table)).toBe(true);
        expect(encodeTable(decoded).equals(bytes)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('wire tables with all 17 type octets decode; what they decode to re-encodes to a fixed point', () => {
    fc.assert(
      fc.property(wireTable, (bytes) => {
        const decoded = readTableAt(bytes, 0, bytes.length);
        const canonical = encodeTable(decoded);
        const again = readTableAt(canonical, 0, canonical.length);
        expect(tablesEqual(again, decoded)).toBe(true);
        expect(encodeTable(again).equals(canonical)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('property: decoded frames re-encode to the same bytes', () => {
  const methodCase = fc
    .constantFrom(...specMethods)
    .chain((m) => fc.tuple(fc.constant(m), argsArbitrary(m), fc.nat(0xffff)));

  it('a run of method frames split anywhere: read, decode, re-encode, identical', () => {
    fc.assert(
      fc.property(fc.array(methodCase, { minLength: 1, maxLength: 5 }), cuts, (cases, points) => {
        const frames = cases.map(([m, args, channel]) => encodeMethodFrame(channel, m.id, args));
        const read = readFrames(split(Buffer.concat(frames), points));
        expect(read).toHaveLength(frames.length);
        read.forEach((f, i) => {
          expect(f.type).toBe(FRAME_METHOD);
          const id = f.payload.readUInt32BE(0);
          const args = decodeMethodArgs(id, f.payload, 4, f.payload.length);
          expect(encodeMethodFrame(f.channel, id, args).equals(frames[i]!)).toBe(true);
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('content header frames: read, decode, re-encode, identical', () => {
    fc.assert(
      fc.property(propertiesArbitrary, fc.nat(0xffff), fc.maxSafeNat(), cuts, (props, channel, bodySize, points) => {
        const frame = encodeHeaderFrame(channel, 60, bodySize, encodeBasicProperties(props as BasicProperties));
        const [f] = readFrames(split(frame, points));
        expect(f!.type).toBe(FRAME_HEADER);
        const p = f!.payload;
        expect(p.readUInt16BE(0)).toBe(60);
        const size = p.readUInt32BE(4) * 2 ** 32 + p.readUInt32BE(8);
        expect(size).toBe(bodySize);
        const decoded = decodeBasicProperties(p, 12, p.length);
        expect(encodeHeaderFrame(f!.channel, 60, size, encodeBasicProperties(decoded)).equals(frame)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
