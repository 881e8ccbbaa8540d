import { AmqpError } from '../protocol/amqp-error';
import { ClassId, MethodId, ReplyCode, encodeBasicProperties } from '../protocol/generated/amqp';
import { CommandAssembler, ContentBudget, MAX_MESSAGE_SIZE } from './command-assembler';

interface FakeMethod {
  readonly name: string;
}

const PUBLISH: FakeMethod = { name: 'publish' };
const PROPS = encodeBasicProperties({ contentType: 'text/plain', deliveryMode: 2 });

/** A content header payload (what follows the 7-byte frame header): class, weight, body size, properties. */
function header(bodySize: number | bigint, classId: number = ClassId.Basic, props: Buffer = PROPS): Buffer {
  const b = Buffer.alloc(12 + props.length);
  b.writeUInt16BE(classId, 0);
  b.writeUInt16BE(0, 2);
  b.writeBigUInt64BE(BigInt(bodySize), 4);
  props.copy(b, 12);
  return b;
}

/** Runs fn and returns the AmqpError it throws (fails the test if it throws anything else or nothing). */
function caught(fn: () => unknown): AmqpError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AmqpError);
    return err as AmqpError;
  }
  throw new Error('expected an AmqpError');
}

const PUBLISH_CLASS = MethodId.BasicPublish >>> 16;
const PUBLISH_METHOD = MethodId.BasicPublish & 0xffff;

describe('CommandAssembler: complete commands', () => {
  test('a method without content leaves the assembler idle', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod({ name: 'queue.declare' }, false);
    expect(a.idle).toBe(true);
    expect(a.completedMethod).toBeUndefined();
  });

  test('method -> header -> one body frame', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    expect(a.idle).toBe(false);
    expect(a.onHeader(header(5))).toBe(false);
    expect(a.idle).toBe(false);
    const frame = Buffer.from('hello');
    expect(a.onBody(frame)).toBe(true);
    expect(a.idle).toBe(true);
    expect(a.completedMethod).toBe(PUBLISH);
    expect(a.completedProperties.equals(PROPS)).toBe(true);
    expect(a.completedBody.toString()).toBe('hello');
    // The payload is only valid during the call: the completed body must be a copy.
    frame.fill(0);
    expect(a.completedBody.toString()).toBe('hello');
  });

  test('method -> header -> many body frames, copied out of reused payload buffers', () => {
    const a = new CommandAssembler<FakeMethod>();
    const body = Buffer.from('the quick brown fox jumps over the lazy dog');
    a.onMethod(PUBLISH, true);
    expect(a.onHeader(header(body.length))).toBe(false);
    const scratch = Buffer.alloc(10);
    const results: boolean[] = [];
    for (let start = 0; start < body.length; start += 10) {
      const n = body.copy(scratch, 0, start, Math.min(start + 10, body.length));
      results.push(a.onBody(scratch.subarray(0, n)));
      scratch.fill(0x21);
    }
    expect(results).toEqual([false, false, false, false, true]);
    expect(a.completedBody.equals(body)).toBe(true);
    expect(a.completedMethod).toBe(PUBLISH);
    expect(a.idle).toBe(true);
  });

  test('properties are copied out of the header payload', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    const payload = header(0);
    expect(a.onHeader(payload)).toBe(true);
    payload.fill(0);
    expect(a.completedProperties.equals(PROPS)).toBe(true);
  });

  test('an empty body completes on the header', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    expect(a.onHeader(header(0))).toBe(true);
    expect(a.idle).toBe(true);
    expect(a.completedMethod).toBe(PUBLISH);
    expect(a.completedBody.length).toBe(0);
    expect(a.completedProperties.equals(PROPS)).toBe(true);
  });

  test('an empty body frame in the middle of content is accepted', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    a.onHeader(header(3));
    expect(a.onBody(Buffer.alloc(0))).toBe(false);
    expect(a.onBody(Buffer.from('abc'))).toBe(true);
    expect(a.completedBody.toString()).toBe('abc');
  });

  test('consecutive commands do not leak state into each other', () => {
    const a = new CommandAssembler<FakeMethod>();
    const second: FakeMethod = { name: 'second' };
    a.onMethod(PUBLISH, true);
    a.onHeader(header(4));
    a.onBody(Buffer.from('ab'));
    expect(a.onBody(Buffer.from('cd'))).toBe(true);
    const first = a.completedBody;
    a.onMethod(second, true);
    a.onHeader(header(2, ClassId.Basic, encodeBasicProperties({})));
    expect(a.onBody(Buffer.from('x'))).toBe(false);
    expect(a.onBody(Buffer.from('y'))).toBe(true);
    expect(a.completedMethod).toBe(second);
    expect(a.completedBody.toString()).toBe('xy');
    expect(a.completedProperties.equals(encodeBasicProperties({}))).toBe(true);
    expect(first.toString()).toBe('abcd');
  });
});

describe('CommandAssembler: unexpected frames (505 UNEXPECTED_FRAME)', () => {
  test('header while idle', () => {
    const a = new CommandAssembler<FakeMethod>();
    const err = caught(() => a.onHeader(header(1)));
    expect(err.replyCode).toBe(ReplyCode.UnexpectedFrame);
    expect(err.replyText).toBe('UNEXPECTED_FRAME - expected method frame, got non method frame instead');
    expect([err.classId, err.methodId]).toEqual([0, 0]);
  });

  test('body while idle', () => {
    const a = new CommandAssembler<FakeMethod>();
    const err = caught(() => a.onBody(Buffer.from('x')));
    expect(err.replyCode).toBe(ReplyCode.UnexpectedFrame);
    expect(err.replyText).toBe('UNEXPECTED_FRAME - expected method frame, got non method frame instead');
    expect([err.classId, err.methodId]).toEqual([0, 0]);
  });

  test('method while a header is expected is blamed on basic.publish', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    const err = caught(() => a.onMethod({ name: 'other' }, false));
    expect(err.replyCode).toBe(ReplyCode.UnexpectedFrame);
    expect(err.replyText).toBe(
      'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead',
    );
    expect([err.classId, err.methodId]).toEqual([PUBLISH_CLASS, PUBLISH_METHOD]);
  });

  test('method while a body is expected is blamed on basic.publish', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    a.onHeader(header(3));
    const err = caught(() => a.onMethod(PUBLISH, true));
    expect(err.replyCode).toBe(ReplyCode.UnexpectedFrame);
    expect(err.replyText).toBe('UNEXPECTED_FRAME - expected content body, got non content body frame instead');
    expect([err.classId, err.methodId]).toEqual([PUBLISH_CLASS, PUBLISH_METHOD]);
  });

  test('body while a header is expected', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    const err = caught(() => a.onBody(Buffer.from('x')));
    expect(err.replyCode).toBe(ReplyCode.UnexpectedFrame);
    expect(err.replyText).toBe(
      'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead',
    );
  });

  test('second header while a body is expected', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    a.onHeader(header(3));
    a.onBody(Buffer.from('a'));
    const err = caught(() => a.onHeader(header(3)));
    expect(err.replyCode).toBe(ReplyCode.UnexpectedFrame);
    expect(err.replyText).toBe('UNEXPECTED_FRAME - expected content body, got non content body frame instead');
  });

  test('header for another class', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    const err = caught(() => a.onHeader(header(3, ClassId.Queue)));
    expect(err.replyCode).toBe(ReplyCode.UnexpectedFrame);
    expect(err.replyText).toBe('UNEXPECTED_FRAME - expected content header for class 60, got one for class 50 instead');
  });
});

describe('CommandAssembler: sizes', () => {
  test('a header payload shorter than 14 bytes is a 501 FRAME_ERROR', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    const err = caught(() => a.onHeader(header(0).subarray(0, 13)));
    expect(err.replyCode).toBe(ReplyCode.FrameError);
    expect(err.replyText).toBe('FRAME_ERROR - content header frame too short');
  });

  test('a body larger than announced in one frame is a 501 FRAME_ERROR', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    a.onHeader(header(3));
    const err = caught(() => a.onBody(Buffer.from('abcd')));
    expect(err.replyCode).toBe(ReplyCode.FrameError);
    expect(err.replyText).toBe('FRAME_ERROR - content body of 4 bytes exceeds the 3 bytes announced in its header');
  });

  test('a body growing past the announced size over several frames is a 501 FRAME_ERROR', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    a.onHeader(header(5));
    expect(a.onBody(Buffer.from('abc'))).toBe(false);
    const err = caught(() => a.onBody(Buffer.from('def')));
    expect(err.replyCode).toBe(ReplyCode.FrameError);
    expect(err.replyText).toBe('FRAME_ERROR - content body of 6 bytes exceeds the 5 bytes announced in its header');
  });

  test('exactly MAX_MESSAGE_SIZE is accepted', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    expect(a.onHeader(header(MAX_MESSAGE_SIZE))).toBe(false);
    expect(a.idle).toBe(false);
  });

  test('a header announcing more than MAX_MESSAGE_SIZE is a 406 and resets the assembler', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    const err = caught(() => a.onHeader(header(MAX_MESSAGE_SIZE + 1)));
    expect(err.replyCode).toBe(ReplyCode.PreconditionFailed);
    expect(err.replyText).toBe(
      `PRECONDITION_FAILED - message size ${MAX_MESSAGE_SIZE + 1} is larger than configured max size ${MAX_MESSAGE_SIZE}`,
    );
    expect(a.idle).toBe(true);
  });

  test('a 64-bit body size beyond 2^53 is refused, not wrapped', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    const err = caught(() => a.onHeader(header(0xffffffffffffffffn)));
    expect(err.replyCode).toBe(ReplyCode.PreconditionFailed);
    expect(a.idle).toBe(true);
  });
});

describe('CommandAssembler.reset', () => {
  test('drops a partial command: the next content frame is unexpected, a new command assembles cleanly', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    a.onHeader(header(6));
    a.onBody(Buffer.from('abc'));
    a.reset();
    expect(a.idle).toBe(true);
    expect(caught(() => a.onBody(Buffer.from('def'))).replyCode).toBe(ReplyCode.UnexpectedFrame);

    const next: FakeMethod = { name: 'next' };
    a.onMethod(next, true);
    a.onHeader(header(2));
    expect(a.onBody(Buffer.from('zz'))).toBe(true);
    expect(a.completedMethod).toBe(next);
    expect(a.completedBody.toString()).toBe('zz');
  });

  test('from the expect-header state', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    a.reset();
    expect(a.idle).toBe(true);
    expect(caught(() => a.onHeader(header(0))).replyText).toBe(
      'UNEXPECTED_FRAME - expected method frame, got non method frame instead',
    );
  });
});

describe('CommandAssembler: memory follows the bytes received, within a budget per connection', () => {
  test('a header announcing MAX_MESSAGE_SIZE allocates nothing like it: the body grows with what arrives', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    a.onHeader(header(MAX_MESSAGE_SIZE));
    const allocate = jest.spyOn(Buffer, 'allocUnsafe');
    expect(a.onBody(Buffer.alloc(100, 1))).toBe(false);
    const sizes = allocate.mock.calls.map(([n]) => n);
    allocate.mockRestore();
    expect(Math.max(...sizes)).toBeLessThanOrEqual(200);
  });

  test('a body sent in many frames comes out whole and in order', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    const total = 300_001;
    a.onHeader(header(total));
    const expected = Buffer.alloc(total);
    for (let i = 0; i < total; i++) expected[i] = (i * 7) & 0xff;
    let done = false;
    for (let from = 0; from < total; from += 4093) done = a.onBody(expected.subarray(from, Math.min(total, from + 4093)));
    expect(done).toBe(true);
    expect(a.completedBody.equals(expected)).toBe(true);
  });

  test('the budget is shared by the channels of a connection; crossing it is 406 on that channel, which frees its share', () => {
    const budget = new ContentBudget(MAX_MESSAGE_SIZE, 64, 1000);
    const one = new CommandAssembler<FakeMethod>(budget);
    const two = new CommandAssembler<FakeMethod>(budget);
    for (const a of [one, two]) {
      a.onMethod(PUBLISH, true);
      a.onHeader(header(10_000));
    }
    one.onBody(Buffer.alloc(600));
    expect(budget.used).toBe(600);
    const err = caught(() => two.onBody(Buffer.alloc(500)));
    expect(err).toMatchObject({ replyCode: 406, classId: MethodId.BasicPublish >>> 16, methodId: MethodId.BasicPublish & 0xffff });
    expect(budget.used).toBe(600);
    two.onMethod(PUBLISH, true);
    two.onHeader(header(300));
    expect(two.onBody(Buffer.alloc(150))).toBe(false);
    expect(budget.used).toBe(750);
    expect(two.onBody(Buffer.alloc(150))).toBe(true);
    expect(budget.used).toBe(600);
    one.reset();
    expect(budget.used).toBe(0);
  });
});

describe('CommandAssembler: what a completed message keeps', () => {
  test('small properties and body own their memory, never a slice of a shared pool', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    a.onHeader(header(8));
    expect(a.onBody(Buffer.from('12345678'))).toBe(true);
    const { completedProperties: p, completedBody: b } = a;
    expect(b.toString()).toBe('12345678');
    expect(p.equals(PROPS)).toBe(true);
    expect(b.buffer.byteLength).toBe(8);
    expect(p.buffer.byteLength).toBe(PROPS.length);
  });

  test('a body in several frames, or none, keeps its small properties in memory of their own too', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    a.onHeader(header(0));
    expect(a.completedProperties.buffer.byteLength).toBe(PROPS.length);
    a.onMethod(PUBLISH, true);
    a.onHeader(header(6));
    a.onBody(Buffer.from('abc'));
    expect(a.onBody(Buffer.from('def'))).toBe(true);
    expect(a.completedProperties.buffer.byteLength).toBe(PROPS.length);
    expect(a.completedBody.buffer.byteLength).toBe(6);
  });

  test('a larger body is a copy: the frame it came in can be reused at once', () => {
    const a = new CommandAssembler<FakeMethod>();
    a.onMethod(PUBLISH, true);
    a.onHeader(header(1000));
    const chunk = Buffer.alloc(1200, 0x61);
    expect(a.onBody(chunk, 100, 1100)).toBe(true);
    chunk.fill(0x62);
    expect(a.completedBody.length).toBe(1000);
    expect(a.completedBody.every((byte) => byte === 0x61)).toBe(true);
    expect(a.completedBody.buffer).not.toBe(chunk.buffer);
  });
});
