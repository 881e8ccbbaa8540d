/**
 * Errors raised by the codec. The connection layer maps them to AMQP replies:
 * FrameSyntaxError -> 502 SYNTAX_ERROR (or 501 FRAME_ERROR for bad content frames),
 * FrameError -> its replyCode, UnknownMethodError -> 540 NOT_IMPLEMENTED / 503 COMMAND_INVALID.
 * This module is a leaf: it imports nothing, so the generated codec can depend on it.
 */

/** Malformed field data: truncated arguments, an unknown field-table type octet, a length beyond the frame. */
export class FrameSyntaxError extends Error {
  override name = 'FrameSyntaxError';
}

/** A method's short string that is not valid UTF-8: RabbitMQ's parser refuses it (501, "Malformed UTF-8 in shortstr"). */
export class MalformedShortstrError extends FrameSyntaxError {
  override name = 'MalformedShortstrError';
  constructor() {
    super('Malformed UTF-8 in shortstr');
  }
}

/** Framing problem: bad frame end, oversized frame, unknown frame type. replyCode is the AMQP reply code to send. */
export class FrameError extends Error {
  override name = 'FrameError';
  constructor(
    message: string,
    readonly replyCode: number,
  ) {
    super(message);
  }
}

/** A method frame whose class/method id pair is not in the spec. */
export class UnknownMethodError extends Error {
  override name = 'UnknownMethodError';
  constructor(
    readonly classId: number,
    readonly methodId: number,
  ) {
    super(`unknown method: class ${classId}, method ${methodId}`);
  }
}
