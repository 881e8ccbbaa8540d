/**
 * Real traffic: the frames amqplib sent for a handshake, declares and binds with argument tables, publishes with
 * every property and a headers table, a consume with ack, nack and reject, get, recover, and the admin methods
 * (recorded by capture-traffic.ts into amqplib-traffic.json; a file named traffic.json would shadow this module for require). Scripts replay them on their own channels, mutated with the
 * same operators as the spec-built frames, so mutations also land in the bytes a real client puts on the wire.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { specMethods, type SpecMethod } from '../../src/protocol/test-support/random';
import type { Frame, FrameKind } from './mutate';
import { FRAME_BODY, FRAME_HEADER, FRAME_HEARTBEAT, FRAME_METHOD } from './wire';

export const TRAFFIC_FILE = join(__dirname, 'amqplib-traffic.json');

export interface TrafficFile {
  capturedWith: string;
  /** Steps of the recorded session (handshake, declare, publish, consume, get, admin, delete, close): frames in hex (see decodeFrame). */
  sequences: Array<{ name: string; frames: string[] }>;
}

export interface TrafficSequence {
  name: string;
  frames: Frame[];
}

const BY_ID = new Map<number, SpecMethod>(specMethods.map((m) => [m.id, m]));

function kindOf(type: number): FrameKind {
  switch (type) {
    case FRAME_METHOD:
      return 'method';
    case FRAME_HEADER:
      return 'header';
    case FRAME_BODY:
      return 'body';
    case FRAME_HEARTBEAT:
      return 'heartbeat';
    default:
      return 'raw';
  }
}

/** A recorded frame as the fuzzer's Frame (the protocol header stays raw). */
export function trafficFrame(bytes: Buffer): Frame {
  if (bytes.length === 8 && bytes.toString('latin1', 0, 4) === 'AMQP') return { bytes, label: 'amqplib protocol-header', mutated: false, kind: 'raw', channel: 0 };
  const type = bytes[0]!;
  const channel = bytes.readUInt16BE(1);
  const kind = kindOf(type);
  const method = kind === 'method' && bytes.length >= 12 ? BY_ID.get(bytes.readUInt32BE(7)) : undefined;
  const what = method !== undefined ? method.name : kind === 'body' ? `body(${bytes.length - 8}B)` : kind;
  return { bytes, label: `amqplib ch${channel} ${what}`, mutated: false, kind, channel, ...(method !== undefined ? { method } : {}) };
}

/** A frame of the file: hex, or 'repeat:<frame header hex>:<byte hex>' for a payload of one repeated byte. */
function decodeFrame(text: string): Buffer {
  if (!text.startsWith('repeat:')) return Buffer.from(text, 'hex');
  const [, head, byte] = text.split(':') as [string, string, string];
  const h = Buffer.from(head, 'hex');
  const size = h.readUInt32BE(3);
  return Buffer.concat([h, Buffer.alloc(size, parseInt(byte, 16)), Buffer.from([0xce])]);
}

function load(): TrafficSequence[] {
  const file = JSON.parse(readFileSync(TRAFFIC_FILE, 'utf8')) as TrafficFile;
  return file.sequences.map((s) => ({ name: s.name, frames: s.frames.map((h) => trafficFrame(decodeFrame(h))) }));
}

/** The recorded session, by step. */
export const TRAFFIC: readonly TrafficSequence[] = load();

/** The recorded non-handshake frames on channels (what a script can replay on its own channels). */
export const CHANNEL_TRAFFIC: readonly TrafficSequence[] = TRAFFIC.filter((s) => s.name !== 'handshake' && s.name !== 'close').map((s) => ({
  name: s.name,
  frames: s.frames.filter((f) => f.channel !== 0),
}));

/** A copy of `f` moved to channel `ch` (frames larger than `frameMax` are left out by the caller). */
export function onChannel(f: Frame, ch: number): Frame {
  const b = Buffer.from(f.bytes);
  b.writeUInt16BE(ch, 1);
  return { ...f, bytes: b, channel: ch, label: f.label.replace(/ch\d+/, `ch${ch}`) };
}

/** The handshake frames amqplib sent: protocol header, start-ok (PLAIN guest/guest), tune-ok, open. */
export function trafficHandshake(): { header: Frame; startOk: Frame; tuneOk: Frame; open: Frame } | undefined {
  const h = TRAFFIC.find((s) => s.name === 'handshake')?.frames ?? [];
  const find = (name: string): Frame | undefined => h.find((f) => f.method?.name === name);
  const header = h[0];
  const startOk = find('connection.start-ok');
  const tuneOk = find('connection.tune-ok');
  const open = find('connection.open');
  if (header === undefined || startOk === undefined || tuneOk === undefined || open === undefined) return undefined;
  return { header, startOk, tuneOk, open };
}
