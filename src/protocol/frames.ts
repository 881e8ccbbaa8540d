/**
 * Encoders for content header, content body and heartbeat frames, and the protocol header.
 * Method frames are encoded by the generated codec (encodeMethodFrame in generated/amqp.ts).
 *
 * Frame layout: type (octet), channel (short), payload size (long), payload, frame-end (0xCE).
 */
import { FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_HEARTBEAT } from './generated/amqp';
import { writeLonglong } from './codec';

/** Bytes a frame adds around its payload: 7-byte header plus the frame-end octet. */
export const FRAME_OVERHEAD = 8;

/** 'AMQP' 0 0 9 1: the protocol header a client sends first, and the broker's answer to an unsupported one. */
export const PROTOCOL_HEADER: Buffer = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

/** A heartbeat frame: type 8, channel 0, empty payload. */
export const HEARTBEAT_FRAME: Buffer = Buffer.from([FRAME_HEARTBEAT, 0, 0, 0, 0, 0, 0, FRAME_END]);

/** A single frame-end octet, for writing [bodyFrameHeader, payload view, FRAME_END_BUFFER] without copying. */
export const FRAME_END_BUFFER: Buffer = Buffer.from([FRAME_END]);

/**
 * Content header frame: class id, weight (0), 64-bit body size, then propertyBytes (property flags and list, as
 * received from the publisher or from encodeBasicProperties).
 */
export function encodeHeaderFrame(channel: number, classId: number, bodySize: number, propertyBytes: Buffer): Buffer {
  const payloadSize = 12 + propertyBytes.length;
  const b = Buffer.allocUnsafe(payloadSize + FRAME_OVERHEAD);
  b[0] = FRAME_HEADER;
  b.writeUInt16BE(channel, 1);
  b.writeUInt32BE(payloadSize, 3);
  b.writeUInt16BE(classId, 7);
  b.writeUInt16BE(0, 9);
  writeLonglong(b, 11, bodySize);
  propertyBytes.copy(b, 19);
  b[b.length - 1] = FRAME_END;
  return b;
}

/** Body frame carrying body[start, end), copied into one buffer. Prefer bodyFrameHeader for large bodies. */
export function encodeBodyFrame(channel: number, body: Buffer, start: number, end: number): Buffer {
  const size = end - start;
  const b = Buffer.allocUnsafe(size + FRAME_OVERHEAD);
  b[0] = FRAME_BODY;
  b.writeUInt16BE(channel, 1);
  b.writeUInt32BE(size, 3);
  body.copy(b, 7, start, end);
  b[b.length - 1] = FRAME_END;
  return b;
}

/**
 * The 7-byte header of a body frame with payloadSize bytes. Write it, then the payload (a view, not a copy),
 * then FRAME_END_BUFFER: e.g. socket.cork(); write(h); write(body.subarray(s, e)); write(FRAME_END_BUFFER).
 */
export function bodyFrameHeader(channel: number, payloadSize: number): Buffer {
  const b = Buffer.allocUnsafe(7);
  b[0] = FRAME_BODY;
  b.writeUInt16BE(channel, 1);
  b.writeUInt32BE(payloadSize, 3);
  return b;
}

/**
 * Splits body into body frames for a negotiated frameMax (which includes the 8 bytes of frame overhead; 0 means
 * no limit) and returns the buffers to write in order: [header, payload view, FRAME_END_BUFFER] per frame.
 * Payloads are views into body. An empty body gives no frames.
 */
export function bodyFrameParts(channel: number, body: Buffer, frameMax: number): Buffer[] {
  const parts: Buffer[] = [];
  const chunk = frameMax > 0 ? frameMax - FRAME_OVERHEAD : body.length;
  if (chunk <= 0) throw new RangeError(`frameMax ${frameMax} leaves no room for a body payload`);
  for (let start = 0; start < body.length; start += chunk) {
    const end = Math.min(start + chunk, body.length);
    parts.push(bodyFrameHeader(channel, end - start), body.subarray(start, end), FRAME_END_BUFFER);
  }
  return parts;
}
