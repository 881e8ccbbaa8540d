/**
 * Cross-checks our spec and codec against amqplib's own generated codec (lib/defs.js), an independent reading of
 * the same protocol: ids and field lists for every method, and frames round-tripped in both directions.
 */
import { dirname, join } from 'node:path';
import {
  CLASSES,
  FRAME_END,
  decodeBasicProperties,
  decodeMethodArgs,
  encodeBasicProperties,
  encodeMethodFrame,
  methodInfo,
  type BasicProperties,
} from './generated/amqp';
import { AMQPLIB_KINDS, Rng, basicProperties, randomArgs, randomProperties, specMethods, type SpecMethod } from './test-support/random';

interface AmqplibArg {
  type: string;
  name: string;
}
interface AmqplibInfo {
  id: number;
  classId: number;
  methodId: number;
  name: string;
  args: AmqplibArg[];
}
interface AmqplibDefs {
  decode(id: number, buf: Buffer): Record<string, unknown>;
  encodeMethod(id: number, channel: number, fields: Record<string, unknown>): Buffer;
  encodeProperties(id: number, channel: number, size: number, fields: Record<string, unknown>): Buffer;
  info(id: number): AmqplibInfo | undefined;
  [key: string]: unknown;
}

// amqplib's package.json "exports" hides lib/; load the file by path next to its entry point.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const defs = require(join(dirname(require.resolve('amqplib')), 'lib', 'defs.js')) as AmqplibDefs;

/** Names compared lowercased without hyphens or underscores: our noWait is amqplib's nowait. */
const norm = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');

/**
 * Methods amqplib knows that are not in AMQP 0-9-1 and not in our spec: access.request/request-ok (class 30) were
 * removed by 0-9-1; RabbitMQ still answers access.request for very old clients. See spec/errata.md.
 */
const NOT_IN_OUR_SPEC = new Set(['AccessRequest', 'AccessRequestOk']);
/** Reserved-field names that differ from amqplib's (none: we use RabbitMQ's names, as amqplib does). */
const KNOWN_NAME_DIFFERENCES: Record<string, Record<string, string>> = {};

const amqplibMethods: AmqplibInfo[] = Object.keys(defs)
  .filter((k) => k.startsWith('methodInfo'))
  .map((k) => defs[k] as AmqplibInfo);

/** Our camelCase field name -> amqplib's name for the same field. */
function nameMap(m: SpecMethod, info: AmqplibInfo): Map<string, string> {
  const map = new Map<string, string>();
  const overrides = KNOWN_NAME_DIFFERENCES[m.name] ?? {};
  m.fields.forEach((f, i) => map.set(f.camel, overrides[f.camel] ?? info.args[i]!.name));
  return map;
}

function toAmqplib(args: Record<string, unknown>, map: Map<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) out[map.get(k)!] = v;
  return out;
}

describe('amqplib compatibility: the spec', () => {
  it('amqplib knows the methods we expect', () => {
    expect(amqplibMethods.length).toBeGreaterThanOrEqual(60);
  });

  it.each(specMethods.map((m) => [m.name, m]))('%s has amqplib\'s ids, field names and field types', (_n, m) => {
    const info = defs.info(m.id);
    expect(info).toBeDefined();
    expect(info!.classId).toBe(m.classId);
    expect(info!.methodId).toBe(m.methodId);
    const overrides = KNOWN_NAME_DIFFERENCES[m.name] ?? {};
    expect(m.fields.map((f) => norm(overrides[f.camel] ?? f.camel))).toEqual(info!.args.map((a) => norm(a.name)));
    expect(m.fields.map((f) => f.type)).toEqual(info!.args.map((a) => a.type));
  });

  it('every method amqplib knows is in our spec (except the documented ones)', () => {
    const ours = new Set(specMethods.map((m) => m.id));
    const missing = amqplibMethods.filter((i) => !ours.has(i.id)).map((i) => i.name);
    expect(missing.sort()).toEqual([...NOT_IN_OUR_SPEC].sort());
    for (const i of amqplibMethods) {
      if (NOT_IN_OUR_SPEC.has(i.name)) continue;
      expect(methodInfo(i.id)!.name.replace(/(^|[.-])([a-z])/g, (_m, _p, c: string) => c.toUpperCase())).toBe(i.name);
    }
  });

  it('basic properties match amqplib\'s names, types and order', () => {
    const info = defs['propertiesInfoBasicProperties'] as { id: number; args: AmqplibArg[] };
    expect(info.id).toBe(60);
    expect(basicProperties.map((p) => norm(p.camel))).toEqual(info.args.map((a) => norm(a.name)));
    expect(basicProperties.map((p) => p.type)).toEqual(info.args.map((a) => a.type));
    expect(CLASSES.find((c) => c.id === 60)!.properties).toEqual(info.args.map((a) => a.name));
  });
});

describe('amqplib compatibility: frames in both directions', () => {
  const opts = { kinds: AMQPLIB_KINDS };

  it.each(specMethods.map((m) => [m.name, m]))('%s', (_n, m) => {
    const info = defs.info(m.id)!;
    const map = nameMap(m, info);
    const rng = new Rng(m.id * 7);
    for (let i = 0; i < 25; i++) {
      const args = randomArgs(rng, m, opts);
      const channel = rng.int(65536);

      // ours -> amqplib
      const ourFrame = encodeMethodFrame(channel, m.id, args);
      const payload = ourFrame.subarray(7, ourFrame.length - 1);
      expect(payload.readUInt32BE(0)).toBe(m.id);
      expect(defs.decode(m.id, payload.subarray(4))).toEqual(toAmqplib(args, map));

      // amqplib -> ours
      const theirFrame = defs.encodeMethod(m.id, channel, toAmqplib(args, map));
      expect(theirFrame[theirFrame.length - 1]).toBe(FRAME_END);
      expect(theirFrame.readUInt16BE(1)).toBe(channel);
      expect(decodeMethodArgs(m.id, theirFrame, 11, theirFrame.length - 1)).toEqual(args);

      // Without tables the bytes are identical (table integer widths differ: amqplib picks b/s/I/l by magnitude).
      if (!m.fields.some((f) => f.type === 'table')) expect(ourFrame.toString('hex')).toBe(theirFrame.toString('hex'));
    }
  });

  it('basic properties round-trip through amqplib both ways', () => {
    const rng = new Rng(1234);
    for (let i = 0; i < 300; i++) {
      const props = randomProperties(rng, opts);
      const ours = encodeBasicProperties(props as BasicProperties);
      expect(defs.decode(60, ours)).toEqual(props);

      const frame = defs.encodeProperties(60, 1, 42, props);
      expect(frame.readUInt32BE(15)).toBe(42); // low word of the 64-bit body size
      expect(decodeBasicProperties(frame, 19, frame.length - 1)).toEqual(props);
      if (props['headers'] === undefined) expect(frame.subarray(19, frame.length - 1).toString('hex')).toBe(ours.toString('hex'));
    }
  });
});
