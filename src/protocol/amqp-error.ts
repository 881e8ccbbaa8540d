import { isHardError, replyCodeName } from './generated/amqp';

/**
 * The one error type for protocol failures. Handlers throw it; the connection maps it in one place to
 * channel.close (soft) or connection.close (hard), filling in the failing method's ids when not given.
 */
export class AmqpError extends Error {
  /**
   * Whether the connection fills in the failing method's ids when none were given. RabbitMQ names no method for
   * errors found while parsing (malformed UTF-8, undecodable properties): those set this to false.
   */
  blame = true;

  constructor(
    readonly replyCode: number,
    /** Text after the code name, e.g. "no queue 'q' in vhost '/'". */
    readonly detail: string,
    public classId = 0,
    public methodId = 0,
  ) {
    super(`${replyCodeName(replyCode)} - ${detail}`);
    this.name = 'AmqpError';
  }

  /** The reply-text sent to the peer: "NOT_FOUND - no queue 'q' in vhost '/'" (at most 255 bytes). */
  get replyText(): string {
    const text = this.message;
    return Buffer.byteLength(text) <= 255 ? text : Buffer.from(text).subarray(0, 255).toString('utf8');
  }

  /** An error RabbitMQ reports with class and method 0, whatever frame carried it. */
  static unblamed(replyCode: number, detail: string): AmqpError {
    const error = new AmqpError(replyCode, detail);
    error.blame = false;
    return error;
  }

  get isHard(): boolean {
    return isHardError(this.replyCode);
  }
}
