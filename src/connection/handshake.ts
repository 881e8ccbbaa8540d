import type { Logger } from 'pino';
import { logLoginRefused } from '../auth/login-throttle';
import { EXTERNAL, offeredMechanisms, parseSaslResponse } from '../auth/sasl';
import type { User } from '../auth/users';
import { AmqpError } from '../protocol/amqp-error';
import type { FieldTable } from '../protocol/field-table';
import {
  FRAME_MIN_SIZE,
  MethodId,
  ReplyCode,
  type ConnectionOpenArgs,
  type ConnectionStartArgs,
  type ConnectionStartOkArgs,
  type ConnectionTuneArgs,
  type ConnectionTuneOkArgs,
} from '../protocol/generated/amqp';
import { certificateLogin, hasVerifiedPeer, type TlsSessionSource } from '../tls/peer';
import type { VirtualHost } from '../vhost/vhost';
import type { ConnectionContext, Limits } from './context';

/**
 * The steps of the AMQP handshake after the protocol header, as functions of what arrived: connection.start's
 * offer, the SASL login of start-ok, the tune-ok negotiation and connection.open's checks. The connection keeps the
 * state machine and applies what they return.
 */

const TUNE_OK_CLASS = MethodId.ConnectionTuneOk >>> 16;
const TUNE_OK_METHOD = MethodId.ConnectionTuneOk & 0xffff;
const OPEN_CLASS = MethodId.ConnectionOpen >>> 16;
const OPEN_METHOD = MethodId.ConnectionOpen & 0xffff;

/**
 * connection.start: protocol 0-9-1, the server's properties, the SASL mechanisms offered (EXTERNAL too when `socket`
 * is TLS with a verified client certificate).
 */
export function startArgs(serverProperties: FieldTable, socket: TlsSessionSource = {}): ConnectionStartArgs {
  const mechanisms = offeredMechanisms(hasVerifiedPeer(socket));
  return {
    versionMajor: 0,
    versionMinor: 9,
    serverProperties,
    mechanisms: Buffer.from(mechanisms.join(' ')),
    locales: Buffer.from('en_US'),
  };
}

/** connection.tune: the limits the server offers. */
export function tuneArgs(limits: Limits): ConnectionTuneArgs {
  return { channelMax: limits.channelMax, frameMax: limits.frameMax, heartbeat: limits.heartbeat };
}

/** A refused login: the error, whether the client is told, and how long the refusal is held back. */
export interface LoginRefusal {
  readonly error: AmqpError;
  /** The client announced authentication_failure_close: it gets connection.close before the socket closes. */
  readonly failureClose: boolean;
  readonly delayMs: number;
}

/**
 * connection.start-ok's SASL response checked: the user, or the refusal (logged once). EXTERNAL is taken only where
 * startArgs offered it (a TLS socket with a verified client certificate); elsewhere it is an unsupported mechanism.
 */
export function login(
  context: ConnectionContext,
  args: ConnectionStartOkArgs,
  socket: TlsSessionSource & { readonly remoteAddress?: string },
  logger: Logger,
): User | LoginRefusal {
  const peer = socket.remoteAddress;
  const users = context.access.users;
  let name: string | undefined;
  let user: User | undefined;
  let reason = 'invalid credentials';
  if (args.mechanism === EXTERNAL && hasVerifiedPeer(socket)) {
    name = certificateLogin(socket, context.certLoginFrom ?? 'common_name');
    user = name === undefined ? undefined : users.lookup(name);
    if (user === undefined) reason = name === undefined ? 'no user name in the client certificate' : 'no such user';
  } else {
    const credentials = parseSaslResponse(args.mechanism, args.response);
    if (credentials === undefined) {
      throw new AmqpError(ReplyCode.AccessRefused, `unsupported authentication mechanism '${args.mechanism}'`);
    }
    name = credentials?.username;
    user = credentials === null ? undefined : users.authenticate(credentials.username, credentials.password);
  }
  if (user !== undefined && users.allowedFrom(user.name, peer)) return user;
  // Refused: one log line, then the refusal, held back when this peer failed recently (auth/login-throttle.ts).
  const delayMs = context.logins?.failed(peer) ?? 0;
  logLoginRefused(logger, {
    protocol: 'amqp',
    mechanism: args.mechanism,
    peer,
    user: name,
    reason: user === undefined ? reason : 'user may connect only via localhost',
    delayMs,
  });
  const error = new AmqpError(
    ReplyCode.AccessRefused,
    `Login was refused using authentication mechanism ${args.mechanism}. For details see the broker logfile.`,
  );
  return { error, failureClose: capability(args.clientProperties, 'authentication_failure_close'), delayMs };
}

/** What tune-ok settles. */
export interface Tuned {
  readonly frameMax: number;
  readonly channelMax: number;
  readonly heartbeat: number;
}

/** connection.tune-ok: the client's choices, within the server's limits (0 takes the server's). */
export function negotiate(args: ConnectionTuneOkArgs, limits: Limits): Tuned {
  const frameMax = args.frameMax === 0 ? limits.frameMax : args.frameMax;
  if (frameMax < FRAME_MIN_SIZE) {
    throw new AmqpError(ReplyCode.NotAllowed, `frame_max=${frameMax} < ${FRAME_MIN_SIZE} min size`, TUNE_OK_CLASS, TUNE_OK_METHOD);
  }
  if (frameMax > limits.frameMax) {
    throw new AmqpError(ReplyCode.NotAllowed, `frame_max=${frameMax} > ${limits.frameMax} max size`, TUNE_OK_CLASS, TUNE_OK_METHOD);
  }
  const channelMax = args.channelMax === 0 ? limits.channelMax : args.channelMax;
  if (channelMax > limits.channelMax) {
    throw new AmqpError(
      ReplyCode.NotAllowed,
      `channel_max=${channelMax} > ${limits.channelMax} max size`,
      TUNE_OK_CLASS,
      TUNE_OK_METHOD,
    );
  }
  return { frameMax, channelMax, heartbeat: args.heartbeat };
}

/** connection.open: the vhost exists, the user may use it, and no connection limit is reached (530 otherwise). */
export function openVhost(context: ConnectionContext, args: ConnectionOpenArgs, userName: string, logger: Logger): VirtualHost {
  const vhost = context.vhost(args.virtualHost);
  if (vhost === undefined) {
    logger.warn({ vhost: args.virtualHost }, 'connection.open refused: no such vhost');
    throw new AmqpError(ReplyCode.NotAllowed, `vhost ${args.virtualHost} not found`, OPEN_CLASS, OPEN_METHOD);
  }
  if (!context.access.canAccessVhost(userName, vhost.name)) {
    logger.warn({ vhost: vhost.name, user: userName }, 'connection.open refused: no permissions on the vhost');
    throw new AmqpError(
      ReplyCode.NotAllowed,
      `access to vhost '${vhost.name}' refused for user '${userName}'`,
      OPEN_CLASS,
      OPEN_METHOD,
    );
  }
  checkConnectionLimits(context, vhost, userName);
  return vhost;
}

/** RabbitMQ's vhost and user max-connections limits (530 NOT_ALLOWED). */
function checkConnectionLimits(context: ConnectionContext, vhost: VirtualHost, user: string): void {
  const vhostMax = vhost.limits['max-connections'];
  if (vhostMax !== undefined && vhostMax >= 0 && context.connectionCount({ vhost: vhost.name }) >= vhostMax) {
    throw new AmqpError(
      ReplyCode.NotAllowed,
      `access to vhost '${vhost.name}' refused for user '${user}': connection limit (${vhostMax}) is reached`,
      OPEN_CLASS,
      OPEN_METHOD,
    );
  }
  const userMax = context.access.getUserLimits(user)['max-connections'];
  if (userMax !== undefined && userMax >= 0 && context.connectionCount({ user }) >= userMax) {
    throw new AmqpError(
      ReplyCode.NotAllowed,
      `Connection refused for user '${user}'. User connection limit (${userMax}) is reached`,
      OPEN_CLASS,
      OPEN_METHOD,
    );
  }
}

/** A method out of the handshake's order: 503 COMMAND_INVALID naming the one expected. */
export function handshakeError(id: number, expected: string): AmqpError {
  return new AmqpError(ReplyCode.CommandInvalid, `expected '${expected}'`, id >>> 16, id & 0xffff);
}

/** A capability the client announced in its properties. */
export function capability(clientProperties: FieldTable, name: string): boolean {
  const capabilities = clientProperties['capabilities'];
  if (capabilities === null || typeof capabilities !== 'object' || Array.isArray(capabilities)) return false;
  return (capabilities as FieldTable)[name] === true;
}
