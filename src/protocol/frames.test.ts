import { FRAME_END_BUFFER, HEARTBEAT_FRAME, PROTOCOL_HEADER, bodyFrameHeader, bodyFrameParts, encodeBodyFrame, encodeHeaderFrame } from './frames';

describe('frames', () => {
  it('protocol header and heartbeat bytes', () => {
    expect(PROTOCOL_HEADER.toString('hex')).toBe('414d515000000901');
    expect(HEARTBEAT_FRAME.toString('hex')).toBe('08' + '0000' + '00000000' + 'ce');
  });

  it('header frame with a 64-bit body size', () => {
    const frame = encodeHeaderFrame(2, 60, 2 ** 33 + 1, Buffer.from([0, 0]));
    expect(frame.toString('hex')).toBe('02' + '0002' + '0000000e' + '003c' + '0000' + '0000000200000001' + '0000' + 'ce');
  });

  it('body frame from a slice', () => {
    expect(encodeBodyFrame(9, Buffer.from('xhelloy'), 1, 6).toString('hex')).toBe('03' + '0009' + '00000005' + Buffer.from('hello').toString('hex') + 'ce');
  });

  it('body frame parts split by frame_max without copying', () => {
    const body = Buffer.from('abcdefghij');
    const parts = bodyFrameParts(1, body, 8 + 4);
    expect(parts).toHaveLength(9);
    expect(Buffer.concat(parts).toString('hex')).toBe(
      [encodeBodyFrame(1, body, 0, 4), encodeBodyFrame(1, body, 4, 8), encodeBodyFrame(1, body, 8, 10)].map((b) => b.toString('hex')).join(''),
    );
    expect(parts[1]!.buffer).toBe(body.buffer);
    expect(parts[2]).toBe(FRAME_END_BUFFER);
    expect(bodyFrameParts(1, Buffer.alloc(0), 4096)).toEqual([]);
    expect(bodyFrameParts(1, body, 0)).toHaveLength(3);
    expect(bodyFrameHeader(1, 5).toString('hex')).toBe('03000100000005');
  });
});
