// Generated from spec/amqp0-9-1.json by spec/codegen.mjs. DO NOT EDIT.
// Regenerate with `npm run gen:protocol`; CI runs `npm run gen:check` to keep this file fresh.
/* eslint-disable */

import { FrameSyntaxError, UnknownMethodError } from '../errors';
import { type FieldTable, readTableAt, encodedTableSize, writeTable } from '../field-table';
import {
  need,
  readShortstr,
  readAnyShortstr,
  readPropertyShortstr,
  readLongstr,
  readLonglong,
  skipLong,
  shortstrLength,
  truncateShortstr,
  toLongstr,
  writeShortstr,
  writeLongstr,
  writeLonglong,
} from '../codec';

export const PROTOCOL_VERSION = { major: 0, minor: 9, revision: 1 } as const;
export const DEFAULT_PORT = 5672;

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
export const FRAME_MIN_SIZE = 4096;
export const FRAME_END = 206;
export const FRAME_ERROR = 501;

/** AMQP reply codes (spec constants); soft errors close the channel, hard errors the connection. */
export const ReplyCode = {
  ReplySuccess: 200,
  ContentTooLarge: 311,
  NoRoute: 312,
  NoConsumers: 313,
  ConnectionForced: 320,
  InvalidPath: 402,
  AccessRefused: 403,
  NotFound: 404,
  ResourceLocked: 405,
  PreconditionFailed: 406,
  FrameError: 501,
  SyntaxError: 502,
  CommandInvalid: 503,
  ChannelError: 504,
  UnexpectedFrame: 505,
  ResourceError: 506,
  NotAllowed: 530,
  NotImplemented: 540,
  InternalError: 541,
} as const;

export type ReplyCodeValue = (typeof ReplyCode)[keyof typeof ReplyCode];

/** The spec's constant name for a reply code, e.g. 404 -> 'NOT_FOUND'; unknown codes give 'UNKNOWN'. */
export function replyCodeName(code: number): string {
  switch (code) {
    case 200:
      return 'REPLY_SUCCESS';
    case 311:
      return 'CONTENT_TOO_LARGE';
    case 312:
      return 'NO_ROUTE';
    case 313:
      return 'NO_CONSUMERS';
    case 320:
      return 'CONNECTION_FORCED';
    case 402:
      return 'INVALID_PATH';
    case 403:
      return 'ACCESS_REFUSED';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'RESOURCE_LOCKED';
    case 406:
      return 'PRECONDITION_FAILED';
    case 501:
      return 'FRAME_ERROR';
    case 502:
      return 'SYNTAX_ERROR';
    case 503:
      return 'COMMAND_INVALID';
    case 504:
      return 'CHANNEL_ERROR';
    case 505:
      return 'UNEXPECTED_FRAME';
    case 506:
      return 'RESOURCE_ERROR';
    case 530:
      return 'NOT_ALLOWED';
    case 540:
      return 'NOT_IMPLEMENTED';
    case 541:
      return 'INTERNAL_ERROR';
    default:
      return 'UNKNOWN';
  }
}

/** True for reply codes of the spec's hard-error class (they close the connection). */
export function isHardError(code: number): boolean {
  switch (code) {
    case 320:
    case 402:
    case 501:
    case 502:
    case 503:
    case 504:
    case 505:
    case 506:
    case 530:
    case 540:
    case 541:
      return true;
    default:
      return false;
  }
}

/** True for reply codes of the spec's soft-error class (they close the channel). */
export function isSoftError(code: number): boolean {
  switch (code) {
    case 311:
    case 312:
    case 313:
    case 403:
    case 404:
    case 405:
    case 406:
      return true;
    default:
      return false;
  }
}

export const ClassId = {
  Connection: 10,
  Channel: 20,
  Exchange: 40,
  Queue: 50,
  Basic: 60,
  Confirm: 85,
  Tx: 90,
} as const;

export type ClassIdValue = (typeof ClassId)[keyof typeof ClassId];

/** Method ids as (classId << 16) | methodId. */
export const MethodId = {
  ConnectionStart: 0x000a000a,
  ConnectionStartOk: 0x000a000b,
  ConnectionSecure: 0x000a0014,
  ConnectionSecureOk: 0x000a0015,
  ConnectionTune: 0x000a001e,
  ConnectionTuneOk: 0x000a001f,
  ConnectionOpen: 0x000a0028,
  ConnectionOpenOk: 0x000a0029,
  ConnectionClose: 0x000a0032,
  ConnectionCloseOk: 0x000a0033,
  ConnectionBlocked: 0x000a003c,
  ConnectionUnblocked: 0x000a003d,
  ConnectionUpdateSecret: 0x000a0046,
  ConnectionUpdateSecretOk: 0x000a0047,
  ChannelOpen: 0x0014000a,
  ChannelOpenOk: 0x0014000b,
  ChannelFlow: 0x00140014,
  ChannelFlowOk: 0x00140015,
  ChannelClose: 0x00140028,
  ChannelCloseOk: 0x00140029,
  ExchangeDeclare: 0x0028000a,
  ExchangeDeclareOk: 0x0028000b,
  ExchangeDelete: 0x00280014,
  ExchangeDeleteOk: 0x00280015,
  ExchangeBind: 0x0028001e,
  ExchangeBindOk: 0x0028001f,
  ExchangeUnbind: 0x00280028,
  ExchangeUnbindOk: 0x00280033,
  QueueDeclare: 0x0032000a,
  QueueDeclareOk: 0x0032000b,
  QueueBind: 0x00320014,
  QueueBindOk: 0x00320015,
  QueuePurge: 0x0032001e,
  QueuePurgeOk: 0x0032001f,
  QueueDelete: 0x00320028,
  QueueDeleteOk: 0x00320029,
  QueueUnbind: 0x00320032,
  QueueUnbindOk: 0x00320033,
  BasicQos: 0x003c000a,
  BasicQosOk: 0x003c000b,
  BasicConsume: 0x003c0014,
  BasicConsumeOk: 0x003c0015,
  BasicCancel: 0x003c001e,
  BasicCancelOk: 0x003c001f,
  BasicPublish: 0x003c0028,
  BasicReturn: 0x003c0032,
  BasicDeliver: 0x003c003c,
  BasicGet: 0x003c0046,
  BasicGetOk: 0x003c0047,
  BasicGetEmpty: 0x003c0048,
  BasicAck: 0x003c0050,
  BasicReject: 0x003c005a,
  BasicRecoverAsync: 0x003c0064,
  BasicRecover: 0x003c006e,
  BasicRecoverOk: 0x003c006f,
  BasicNack: 0x003c0078,
  ConfirmSelect: 0x0055000a,
  ConfirmSelectOk: 0x0055000b,
  TxSelect: 0x005a000a,
  TxSelectOk: 0x005a000b,
  TxCommit: 0x005a0014,
  TxCommitOk: 0x005a0015,
  TxRollback: 0x005a001e,
  TxRollbackOk: 0x005a001f,
} as const;

export type MethodIdValue = (typeof MethodId)[keyof typeof MethodId];

/** Arguments of connection.start (10, 10). */
export interface ConnectionStartArgs {
  versionMajor: number;
  versionMinor: number;
  serverProperties: FieldTable;
  mechanisms: Buffer;
  locales: Buffer;
}

/** Arguments of connection.start-ok (10, 11). */
export interface ConnectionStartOkArgs {
  clientProperties: FieldTable;
  mechanism: string;
  response: Buffer;
  locale: string;
}

/** Arguments of connection.secure (10, 20). */
export interface ConnectionSecureArgs {
  challenge: Buffer;
}

/** Arguments of connection.secure-ok (10, 21). */
export interface ConnectionSecureOkArgs {
  response: Buffer;
}

/** Arguments of connection.tune (10, 30). */
export interface ConnectionTuneArgs {
  channelMax: number;
  frameMax: number;
  heartbeat: number;
}

/** Arguments of connection.tune-ok (10, 31). */
export interface ConnectionTuneOkArgs {
  channelMax: number;
  frameMax: number;
  heartbeat: number;
}

/** Arguments of connection.open (10, 40). */
export interface ConnectionOpenArgs {
  virtualHost: string;
  capabilities: string; // reserved
  insist: boolean; // reserved
}

/** Arguments of connection.open-ok (10, 41). */
export interface ConnectionOpenOkArgs {
  knownHosts: string; // reserved
}

/** Arguments of connection.close (10, 50). */
export interface ConnectionCloseArgs {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

/** Arguments of connection.close-ok (10, 51). */
export type ConnectionCloseOkArgs = Record<string, never>;

/** Arguments of connection.blocked (10, 60). */
export interface ConnectionBlockedArgs {
  reason: string;
}

/** Arguments of connection.unblocked (10, 61). */
export type ConnectionUnblockedArgs = Record<string, never>;

/** Arguments of connection.update-secret (10, 70). */
export interface ConnectionUpdateSecretArgs {
  newSecret: Buffer;
  reason: string;
}

/** Arguments of connection.update-secret-ok (10, 71). */
export type ConnectionUpdateSecretOkArgs = Record<string, never>;

/** Arguments of channel.open (20, 10). */
export interface ChannelOpenArgs {
  outOfBand: string; // reserved
}

/** Arguments of channel.open-ok (20, 11). */
export interface ChannelOpenOkArgs {
  channelId: Buffer; // reserved
}

/** Arguments of channel.flow (20, 20). */
export interface ChannelFlowArgs {
  active: boolean;
}

/** Arguments of channel.flow-ok (20, 21). */
export interface ChannelFlowOkArgs {
  active: boolean;
}

/** Arguments of channel.close (20, 40). */
export interface ChannelCloseArgs {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

/** Arguments of channel.close-ok (20, 41). */
export type ChannelCloseOkArgs = Record<string, never>;

/** Arguments of exchange.declare (40, 10). */
export interface ExchangeDeclareArgs {
  ticket: number; // reserved
  exchange: string;
  type: string;
  passive: boolean;
  durable: boolean;
  autoDelete: boolean; // reserved
  internal: boolean; // reserved
  noWait: boolean;
  arguments: FieldTable;
}

/** Arguments of exchange.declare-ok (40, 11). */
export type ExchangeDeclareOkArgs = Record<string, never>;

/** Arguments of exchange.delete (40, 20). */
export interface ExchangeDeleteArgs {
  ticket: number; // reserved
  exchange: string;
  ifUnused: boolean;
  noWait: boolean;
}

/** Arguments of exchange.delete-ok (40, 21). */
export type ExchangeDeleteOkArgs = Record<string, never>;

/** Arguments of exchange.bind (40, 30). */
export interface ExchangeBindArgs {
  ticket: number; // reserved
  destination: string;
  source: string;
  routingKey: string;
  noWait: boolean;
  arguments: FieldTable;
}

/** Arguments of exchange.bind-ok (40, 31). */
export type ExchangeBindOkArgs = Record<string, never>;

/** Arguments of exchange.unbind (40, 40). */
export interface ExchangeUnbindArgs {
  ticket: number; // reserved
  destination: string;
  source: string;
  routingKey: string;
  noWait: boolean;
  arguments: FieldTable;
}

/** Arguments of exchange.unbind-ok (40, 51). */
export type ExchangeUnbindOkArgs = Record<string, never>;

/** Arguments of queue.declare (50, 10). */
export interface QueueDeclareArgs {
  ticket: number; // reserved
  queue: string;
  passive: boolean;
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
  noWait: boolean;
  arguments: FieldTable;
}

/** Arguments of queue.declare-ok (50, 11). */
export interface QueueDeclareOkArgs {
  queue: string;
  messageCount: number;
  consumerCount: number;
}

/** Arguments of queue.bind (50, 20). */
export interface QueueBindArgs {
  ticket: number; // reserved
  queue: string;
  exchange: string;
  routingKey: string;
  noWait: boolean;
  arguments: FieldTable;
}

/** Arguments of queue.bind-ok (50, 21). */
export type QueueBindOkArgs = Record<string, never>;

/** Arguments of queue.purge (50, 30). */
export interface QueuePurgeArgs {
  ticket: number; // reserved
  queue: string;
  noWait: boolean;
}

/** Arguments of queue.purge-ok (50, 31). */
export interface QueuePurgeOkArgs {
  messageCount: number;
}

/** Arguments of queue.delete (50, 40). */
export interface QueueDeleteArgs {
  ticket: number; // reserved
  queue: string;
  ifUnused: boolean;
  ifEmpty: boolean;
  noWait: boolean;
}

/** Arguments of queue.delete-ok (50, 41). */
export interface QueueDeleteOkArgs {
  messageCount: number;
}

/** Arguments of queue.unbind (50, 50). */
export interface QueueUnbindArgs {
  ticket: number; // reserved
  queue: string;
  exchange: string;
  routingKey: string;
  arguments: FieldTable;
}

/** Arguments of queue.unbind-ok (50, 51). */
export type QueueUnbindOkArgs = Record<string, never>;

/** Arguments of basic.qos (60, 10). */
export interface BasicQosArgs {
  prefetchSize: number;
  prefetchCount: number;
  global: boolean;
}

/** Arguments of basic.qos-ok (60, 11). */
export type BasicQosOkArgs = Record<string, never>;

/** Arguments of basic.consume (60, 20). */
export interface BasicConsumeArgs {
  ticket: number; // reserved
  queue: string;
  consumerTag: string;
  noLocal: boolean;
  noAck: boolean;
  exclusive: boolean;
  noWait: boolean;
  arguments: FieldTable;
}

/** Arguments of basic.consume-ok (60, 21). */
export interface BasicConsumeOkArgs {
  consumerTag: string;
}

/** Arguments of basic.cancel (60, 30). */
export interface BasicCancelArgs {
  consumerTag: string;
  noWait: boolean;
}

/** Arguments of basic.cancel-ok (60, 31). */
export interface BasicCancelOkArgs {
  consumerTag: string;
}

/** Arguments of basic.publish (60, 40). */
export interface BasicPublishArgs {
  ticket: number; // reserved
  exchange: string;
  routingKey: string;
  mandatory: boolean;
  immediate: boolean;
}

/** Arguments of basic.return (60, 50). */
export interface BasicReturnArgs {
  replyCode: number;
  replyText: string;
  exchange: string;
  routingKey: string;
}

/** Arguments of basic.deliver (60, 60). */
export interface BasicDeliverArgs {
  consumerTag: string;
  deliveryTag: number;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
}

/** Arguments of basic.get (60, 70). */
export interface BasicGetArgs {
  ticket: number; // reserved
  queue: string;
  noAck: boolean;
}

/** Arguments of basic.get-ok (60, 71). */
export interface BasicGetOkArgs {
  deliveryTag: number;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  messageCount: number;
}

/** Arguments of basic.get-empty (60, 72). */
export interface BasicGetEmptyArgs {
  clusterId: string; // reserved
}

/** Arguments of basic.ack (60, 80). */
export interface BasicAckArgs {
  deliveryTag: number;
  multiple: boolean;
}

/** Arguments of basic.reject (60, 90). */
export interface BasicRejectArgs {
  deliveryTag: number;
  requeue: boolean;
}

/** Arguments of basic.recover-async (60, 100). */
export interface BasicRecoverAsyncArgs {
  requeue: boolean;
}

/** Arguments of basic.recover (60, 110). */
export interface BasicRecoverArgs {
  requeue: boolean;
}

/** Arguments of basic.recover-ok (60, 111). */
export type BasicRecoverOkArgs = Record<string, never>;

/** Arguments of basic.nack (60, 120). */
export interface BasicNackArgs {
  deliveryTag: number;
  multiple: boolean;
  requeue: boolean;
}

/** Arguments of confirm.select (85, 10). */
export interface ConfirmSelectArgs {
  noWait: boolean;
}

/** Arguments of confirm.select-ok (85, 11). */
export type ConfirmSelectOkArgs = Record<string, never>;

/** Arguments of tx.select (90, 10). */
export type TxSelectArgs = Record<string, never>;

/** Arguments of tx.select-ok (90, 11). */
export type TxSelectOkArgs = Record<string, never>;

/** Arguments of tx.commit (90, 20). */
export type TxCommitArgs = Record<string, never>;

/** Arguments of tx.commit-ok (90, 21). */
export type TxCommitOkArgs = Record<string, never>;

/** Arguments of tx.rollback (90, 30). */
export type TxRollbackArgs = Record<string, never>;

/** Arguments of tx.rollback-ok (90, 31). */
export type TxRollbackOkArgs = Record<string, never>;

/** Method id -> its arguments type. */
export interface MethodArgsById {
  [MethodId.ConnectionStart]: ConnectionStartArgs;
  [MethodId.ConnectionStartOk]: ConnectionStartOkArgs;
  [MethodId.ConnectionSecure]: ConnectionSecureArgs;
  [MethodId.ConnectionSecureOk]: ConnectionSecureOkArgs;
  [MethodId.ConnectionTune]: ConnectionTuneArgs;
  [MethodId.ConnectionTuneOk]: ConnectionTuneOkArgs;
  [MethodId.ConnectionOpen]: ConnectionOpenArgs;
  [MethodId.ConnectionOpenOk]: ConnectionOpenOkArgs;
  [MethodId.ConnectionClose]: ConnectionCloseArgs;
  [MethodId.ConnectionCloseOk]: ConnectionCloseOkArgs;
  [MethodId.ConnectionBlocked]: ConnectionBlockedArgs;
  [MethodId.ConnectionUnblocked]: ConnectionUnblockedArgs;
  [MethodId.ConnectionUpdateSecret]: ConnectionUpdateSecretArgs;
  [MethodId.ConnectionUpdateSecretOk]: ConnectionUpdateSecretOkArgs;
  [MethodId.ChannelOpen]: ChannelOpenArgs;
  [MethodId.ChannelOpenOk]: ChannelOpenOkArgs;
  [MethodId.ChannelFlow]: ChannelFlowArgs;
  [MethodId.ChannelFlowOk]: ChannelFlowOkArgs;
  [MethodId.ChannelClose]: ChannelCloseArgs;
  [MethodId.ChannelCloseOk]: ChannelCloseOkArgs;
  [MethodId.ExchangeDeclare]: ExchangeDeclareArgs;
  [MethodId.ExchangeDeclareOk]: ExchangeDeclareOkArgs;
  [MethodId.ExchangeDelete]: ExchangeDeleteArgs;
  [MethodId.ExchangeDeleteOk]: ExchangeDeleteOkArgs;
  [MethodId.ExchangeBind]: ExchangeBindArgs;
  [MethodId.ExchangeBindOk]: ExchangeBindOkArgs;
  [MethodId.ExchangeUnbind]: ExchangeUnbindArgs;
  [MethodId.ExchangeUnbindOk]: ExchangeUnbindOkArgs;
  [MethodId.QueueDeclare]: QueueDeclareArgs;
  [MethodId.QueueDeclareOk]: QueueDeclareOkArgs;
  [MethodId.QueueBind]: QueueBindArgs;
  [MethodId.QueueBindOk]: QueueBindOkArgs;
  [MethodId.QueuePurge]: QueuePurgeArgs;
  [MethodId.QueuePurgeOk]: QueuePurgeOkArgs;
  [MethodId.QueueDelete]: QueueDeleteArgs;
  [MethodId.QueueDeleteOk]: QueueDeleteOkArgs;
  [MethodId.QueueUnbind]: QueueUnbindArgs;
  [MethodId.QueueUnbindOk]: QueueUnbindOkArgs;
  [MethodId.BasicQos]: BasicQosArgs;
  [MethodId.BasicQosOk]: BasicQosOkArgs;
  [MethodId.BasicConsume]: BasicConsumeArgs;
  [MethodId.BasicConsumeOk]: BasicConsumeOkArgs;
  [MethodId.BasicCancel]: BasicCancelArgs;
  [MethodId.BasicCancelOk]: BasicCancelOkArgs;
  [MethodId.BasicPublish]: BasicPublishArgs;
  [MethodId.BasicReturn]: BasicReturnArgs;
  [MethodId.BasicDeliver]: BasicDeliverArgs;
  [MethodId.BasicGet]: BasicGetArgs;
  [MethodId.BasicGetOk]: BasicGetOkArgs;
  [MethodId.BasicGetEmpty]: BasicGetEmptyArgs;
  [MethodId.BasicAck]: BasicAckArgs;
  [MethodId.BasicReject]: BasicRejectArgs;
  [MethodId.BasicRecoverAsync]: BasicRecoverAsyncArgs;
  [MethodId.BasicRecover]: BasicRecoverArgs;
  [MethodId.BasicRecoverOk]: BasicRecoverOkArgs;
  [MethodId.BasicNack]: BasicNackArgs;
  [MethodId.ConfirmSelect]: ConfirmSelectArgs;
  [MethodId.ConfirmSelectOk]: ConfirmSelectOkArgs;
  [MethodId.TxSelect]: TxSelectArgs;
  [MethodId.TxSelectOk]: TxSelectOkArgs;
  [MethodId.TxCommit]: TxCommitArgs;
  [MethodId.TxCommitOk]: TxCommitOkArgs;
  [MethodId.TxRollback]: TxRollbackArgs;
  [MethodId.TxRollbackOk]: TxRollbackOkArgs;
}

export interface MethodInfo {
  readonly id: number;
  readonly classId: number;
  readonly methodId: number;
  /** e.g. 'queue.declare' */
  readonly name: string;
  readonly hasContent: boolean;
  readonly synchronous: boolean;
  /** camelCase field names in wire order */
  readonly fields: readonly string[];
  /** ids of the methods that answer this one (empty for asynchronous methods and responses) */
  readonly responses: readonly number[];
}

/** Every method of the spec, in spec order. */
export const METHODS: readonly MethodInfo[] = [
  {
    id: MethodId.ConnectionStart,
    classId: 10,
    methodId: 10,
    name: 'connection.start',
    hasContent: false,
    synchronous: true,
    fields: ['versionMajor', 'versionMinor', 'serverProperties', 'mechanisms', 'locales'],
    responses: [MethodId.ConnectionStartOk],
  },
  {
    id: MethodId.ConnectionStartOk,
    classId: 10,
    methodId: 11,
    name: 'connection.start-ok',
    hasContent: false,
    synchronous: true,
    fields: ['clientProperties', 'mechanism', 'response', 'locale'],
    responses: [],
  },
  {
    id: MethodId.ConnectionSecure,
    classId: 10,
    methodId: 20,
    name: 'connection.secure',
    hasContent: false,
    synchronous: true,
    fields: ['challenge'],
    responses: [MethodId.ConnectionSecureOk],
  },
  {
    id: MethodId.ConnectionSecureOk,
    classId: 10,
    methodId: 21,
    name: 'connection.secure-ok',
    hasContent: false,
    synchronous: true,
    fields: ['response'],
    responses: [],
  },
  {
    id: MethodId.ConnectionTune,
    classId: 10,
    methodId: 30,
    name: 'connection.tune',
    hasContent: false,
    synchronous: true,
    fields: ['channelMax', 'frameMax', 'heartbeat'],
    responses: [MethodId.ConnectionTuneOk],
  },
  {
    id: MethodId.ConnectionTuneOk,
    classId: 10,
    methodId: 31,
    name: 'connection.tune-ok',
    hasContent: false,
    synchronous: true,
    fields: ['channelMax', 'frameMax', 'heartbeat'],
    responses: [],
  },
  {
    id: MethodId.ConnectionOpen,
    classId: 10,
    methodId: 40,
    name: 'connection.open',
    hasContent: false,
    synchronous: true,
    fields: ['virtualHost', 'capabilities', 'insist'],
    responses: [MethodId.ConnectionOpenOk],
  },
  {
    id: MethodId.ConnectionOpenOk,
    classId: 10,
    methodId: 41,
    name: 'connection.open-ok',
    hasContent: false,
    synchronous: true,
    fields: ['knownHosts'],
    responses: [],
  },
  {
    id: MethodId.ConnectionClose,
    classId: 10,
    methodId: 50,
    name: 'connection.close',
    hasContent: false,
    synchronous: true,
    fields: ['replyCode', 'replyText', 'classId', 'methodId'],
    responses: [MethodId.ConnectionCloseOk],
  },
  {
    id: MethodId.ConnectionCloseOk,
    classId: 10,
    methodId: 51,
    name: 'connection.close-ok',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [],
  },
  {
    id: MethodId.ConnectionBlocked,
    classId: 10,
    methodId: 60,
    name: 'connection.blocked',
    hasContent: false,
    synchronous: false,
    fields: ['reason'],
    responses: [],
  },
  {
    id: MethodId.ConnectionUnblocked,
    classId: 10,
    methodId: 61,
    name: 'connection.unblocked',
    hasContent: false,
    synchronous: false,
    fields: [],
    responses: [],
  },
  {
    id: MethodId.ConnectionUpdateSecret,
    classId: 10,
    methodId: 70,
    name: 'connection.update-secret',
    hasContent: false,
    synchronous: true,
    fields: ['newSecret', 'reason'],
    responses: [MethodId.ConnectionUpdateSecretOk],
  },
  {
    id: MethodId.ConnectionUpdateSecretOk,
    classId: 10,
    methodId: 71,
    name: 'connection.update-secret-ok',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [],
  },
  {
    id: MethodId.ChannelOpen,
    classId: 20,
    methodId: 10,
    name: 'channel.open',
    hasContent: false,
    synchronous: true,
    fields: ['outOfBand'],
    responses: [MethodId.ChannelOpenOk],
  },
  {
    id: MethodId.ChannelOpenOk,
    classId: 20,
    methodId: 11,
    name: 'channel.open-ok',
    hasContent: false,
    synchronous: true,
    fields: ['channelId'],
    responses: [],
  },
  {
    id: MethodId.ChannelFlow,
    classId: 20,
    methodId: 20,
    name: 'channel.flow',
    hasContent: false,
    synchronous: true,
    fields: ['active'],
    responses: [MethodId.ChannelFlowOk],
  },
  {
    id: MethodId.ChannelFlowOk,
    classId: 20,
    methodId: 21,
    name: 'channel.flow-ok',
    hasContent: false,
    synchronous: false,
    fields: ['active'],
    responses: [],
  },
  {
    id: MethodId.ChannelClose,
    classId: 20,
    methodId: 40,
    name: 'channel.close',
    hasContent: false,
    synchronous: true,
    fields: ['replyCode', 'replyText', 'classId', 'methodId'],
    responses: [MethodId.ChannelCloseOk],
  },
  {
    id: MethodId.ChannelCloseOk,
    classId: 20,
    methodId: 41,
    name: 'channel.close-ok',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [],
  },
  {
    id: MethodId.ExchangeDeclare,
    classId: 40,
    methodId: 10,
    name: 'exchange.declare',
    hasContent: false,
    synchronous: true,
    fields: ['ticket', 'exchange', 'type', 'passive', 'durable', 'autoDelete', 'internal', 'noWait', 'arguments'],
    responses: [MethodId.ExchangeDeclareOk],
  },
  {
    id: MethodId.ExchangeDeclareOk,
    classId: 40,
    methodId: 11,
    name: 'exchange.declare-ok',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [],
  },
  {
    id: MethodId.ExchangeDelete,
    classId: 40,
    methodId: 20,
    name: 'exchange.delete',
    hasContent: false,
    synchronous: true,
    fields: ['ticket', 'exchange', 'ifUnused', 'noWait'],
    responses: [MethodId.ExchangeDeleteOk],
  },
  {
    id: MethodId.ExchangeDeleteOk,
    classId: 40,
    methodId: 21,
    name: 'exchange.delete-ok',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [],
  },
  {
    id: MethodId.ExchangeBind,
    classId: 40,
    methodId: 30,
    name: 'exchange.bind',
    hasContent: false,
    synchronous: true,
    fields: ['ticket', 'destination', 'source', 'routingKey', 'noWait', 'arguments'],
    responses: [MethodId.ExchangeBindOk],
  },
  {
    id: MethodId.ExchangeBindOk,
    classId: 40,
    methodId: 31,
    name: 'exchange.bind-ok',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [],
  },
  {
    id: MethodId.ExchangeUnbind,
    classId: 40,
    methodId: 40,
    name: 'exchange.unbind',
    hasContent: false,
    synchronous: true,
    fields: ['ticket', 'destination', 'source', 'routingKey', 'noWait', 'arguments'],
    responses: [MethodId.ExchangeUnbindOk],
  },
  {
    id: MethodId.ExchangeUnbindOk,
    classId: 40,
    methodId: 51,
    name: 'exchange.unbind-ok',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [],
  },
  {
    id: MethodId.QueueDeclare,
    classId: 50,
    methodId: 10,
    name: 'queue.declare',
    hasContent: false,
    synchronous: true,
    fields: ['ticket', 'queue', 'passive', 'durable', 'exclusive', 'autoDelete', 'noWait', 'arguments'],
    responses: [MethodId.QueueDeclareOk],
  },
  {
    id: MethodId.QueueDeclareOk,
    classId: 50,
    methodId: 11,
    name: 'queue.declare-ok',
    hasContent: false,
    synchronous: true,
    fields: ['queue', 'messageCount', 'consumerCount'],
    responses: [],
  },
  {
    id: MethodId.QueueBind,
    classId: 50,
    methodId: 20,
    name: 'queue.bind',
    hasContent: false,
    synchronous: true,
    fields: ['ticket', 'queue', 'exchange', 'routingKey', 'noWait', 'arguments'],
    responses: [MethodId.QueueBindOk],
  },
  {
    id: MethodId.QueueBindOk,
    classId: 50,
    methodId: 21,
    name: 'queue.bind-ok',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [],
  },
  {
    id: MethodId.QueuePurge,
    classId: 50,
    methodId: 30,
    name: 'queue.purge',
    hasContent: false,
    synchronous: true,
    fields: ['ticket', 'queue', 'noWait'],
    responses: [MethodId.QueuePurgeOk],
  },
  {
    id: MethodId.QueuePurgeOk,
    classId: 50,
    methodId: 31,
    name: 'queue.purge-ok',
    hasContent: false,
    synchronous: true,
    fields: ['messageCount'],
    responses: [],
  },
  {
    id: MethodId.QueueDelete,
    classId: 50,
    methodId: 40,
    name: 'queue.delete',
    hasContent: false,
    synchronous: true,
    fields: ['ticket', 'queue', 'ifUnused', 'ifEmpty', 'noWait'],
    responses: [MethodId.QueueDeleteOk],
  },
  {
    id: MethodId.QueueDeleteOk,
    classId: 50,
    methodId: 41,
    name: 'queue.delete-ok',
    hasContent: false,
    synchronous: true,
    fields: ['messageCount'],
    responses: [],
  },
  {
    id: MethodId.QueueUnbind,
    classId: 50,
    methodId: 50,
    name: 'queue.unbind',
    hasContent: false,
    synchronous: true,
    fields: ['ticket', 'queue', 'exchange', 'routingKey', 'arguments'],
    responses: [MethodId.QueueUnbindOk],
  },
  {
    id: MethodId.QueueUnbindOk,
    classId: 50,
    methodId: 51,
    name: 'queue.unbind-ok',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [],
  },
  {
    id: MethodId.BasicQos,
    classId: 60,
    methodId: 10,
    name: 'basic.qos',
    hasContent: false,
    synchronous: true,
    fields: ['prefetchSize', 'prefetchCount', 'global'],
    responses: [MethodId.BasicQosOk],
  },
  {
    id: MethodId.BasicQosOk,
    classId: 60,
    methodId: 11,
    name: 'basic.qos-ok',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [],
  },
  {
    id: MethodId.BasicConsume,
    classId: 60,
    methodId: 20,
    name: 'basic.consume',
    hasContent: false,
    synchronous: true,
    fields: ['ticket', 'queue', 'consumerTag', 'noLocal', 'noAck', 'exclusive', 'noWait', 'arguments'],
    responses: [MethodId.BasicConsumeOk],
  },
  {
    id: MethodId.BasicConsumeOk,
    classId: 60,
    methodId: 21,
    name: 'basic.consume-ok',
    hasContent: false,
    synchronous: true,
    fields: ['consumerTag'],
    responses: [],
  },
  {
    id: MethodId.BasicCancel,
    classId: 60,
    methodId: 30,
    name: 'basic.cancel',
    hasContent: false,
    synchronous: true,
    fields: ['consumerTag', 'noWait'],
    responses: [MethodId.BasicCancelOk],
  },
  {
    id: MethodId.BasicCancelOk,
    classId: 60,
    methodId: 31,
    name: 'basic.cancel-ok',
    hasContent: false,
    synchronous: true,
    fields: ['consumerTag'],
    responses: [],
  },
  {
    id: MethodId.BasicPublish,
    classId: 60,
    methodId: 40,
    name: 'basic.publish',
    hasContent: true,
    synchronous: false,
    fields: ['ticket', 'exchange', 'routingKey', 'mandatory', 'immediate'],
    responses: [],
  },
  {
    id: MethodId.BasicReturn,
    classId: 60,
    methodId: 50,
    name: 'basic.return',
    hasContent: true,
    synchronous: false,
    fields: ['replyCode', 'replyText', 'exchange', 'routingKey'],
    responses: [],
  },
  {
    id: MethodId.BasicDeliver,
    classId: 60,
    methodId: 60,
    name: 'basic.deliver',
    hasContent: true,
    synchronous: false,
    fields: ['consumerTag', 'deliveryTag', 'redelivered', 'exchange', 'routingKey'],
    responses: [],
  },
  {
    id: MethodId.BasicGet,
    classId: 60,
    methodId: 70,
    name: 'basic.get',
    hasContent: false,
    synchronous: true,
    fields: ['ticket', 'queue', 'noAck'],
    responses: [MethodId.BasicGetOk, MethodId.BasicGetEmpty],
  },
  {
    id: MethodId.BasicGetOk,
    classId: 60,
    methodId: 71,
    name: 'basic.get-ok',
    hasContent: true,
    synchronous: true,
    fields: ['deliveryTag', 'redelivered', 'exchange', 'routingKey', 'messageCount'],
    responses: [],
  },
  {
    id: MethodId.BasicGetEmpty,
    classId: 60,
    methodId: 72,
    name: 'basic.get-empty',
    hasContent: false,
    synchronous: true,
    fields: ['clusterId'],
    responses: [],
  },
  {
    id: MethodId.BasicAck,
    classId: 60,
    methodId: 80,
    name: 'basic.ack',
    hasContent: false,
    synchronous: false,
    fields: ['deliveryTag', 'multiple'],
    responses: [],
  },
  {
    id: MethodId.BasicReject,
    classId: 60,
    methodId: 90,
    name: 'basic.reject',
    hasContent: false,
    synchronous: false,
    fields: ['deliveryTag', 'requeue'],
    responses: [],
  },
  {
    id: MethodId.BasicRecoverAsync,
    classId: 60,
    methodId: 100,
    name: 'basic.recover-async',
    hasContent: false,
    synchronous: false,
    fields: ['requeue'],
    responses: [],
  },
  {
    id: MethodId.BasicRecover,
    classId: 60,
    methodId: 110,
    name: 'basic.recover',
    hasContent: false,
    synchronous: true,
    fields: ['requeue'],
    responses: [MethodId.BasicRecoverOk],
  },
  {
    id: MethodId.BasicRecoverOk,
    classId: 60,
    methodId: 111,
    name: 'basic.recover-ok',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [],
  },
  {
    id: MethodId.BasicNack,
    classId: 60,
    methodId: 120,
    name: 'basic.nack',
    hasContent: false,
    synchronous: false,
    fields: ['deliveryTag', 'multiple', 'requeue'],
    responses: [],
  },
  {
    id: MethodId.ConfirmSelect,
    classId: 85,
    methodId: 10,
    name: 'confirm.select',
    hasContent: false,
    synchronous: true,
    fields: ['noWait'],
    responses: [MethodId.ConfirmSelectOk],
  },
  {
    id: MethodId.ConfirmSelectOk,
    classId: 85,
    methodId: 11,
    name: 'confirm.select-ok',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [],
  },
  {
    id: MethodId.TxSelect,
    classId: 90,
    methodId: 10,
    name: 'tx.select',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [MethodId.TxSelectOk],
  },
  {
    id: MethodId.TxSelectOk,
    classId: 90,
    methodId: 11,
    name: 'tx.select-ok',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [],
  },
  {
    id: MethodId.TxCommit,
    classId: 90,
    methodId: 20,
    name: 'tx.commit',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [MethodId.TxCommitOk],
  },
  {
    id: MethodId.TxCommitOk,
    classId: 90,
    methodId: 21,
    name: 'tx.commit-ok',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [],
  },
  {
    id: MethodId.TxRollback,
    classId: 90,
    methodId: 30,
    name: 'tx.rollback',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [MethodId.TxRollbackOk],
  },
  {
    id: MethodId.TxRollbackOk,
    classId: 90,
    methodId: 31,
    name: 'tx.rollback-ok',
    hasContent: false,
    synchronous: true,
    fields: [],
    responses: [],
  },
];

const METHOD_INFO = new Map<number, MethodInfo>(METHODS.map((m) => [m.id, m]));

export function methodInfo(id: number): MethodInfo | undefined {
  return METHOD_INFO.get(id);
}

/** 'queue.declare' for a known id, else 'unknown(classId,methodId)'; for logs and error texts. */
export function methodName(id: number): string {
  const info = METHOD_INFO.get(id);
  return info !== undefined ? info.name : `unknown(${id >>> 16},${id & 0xffff})`;
}

export interface ClassInfo {
  readonly id: number;
  readonly name: string;
  /** camelCase content-header property names in flag order (empty for classes without content) */
  readonly properties: readonly string[];
}

export const CLASSES: readonly ClassInfo[] = [
  { id: 10, name: 'connection', properties: [] },
  { id: 20, name: 'channel', properties: [] },
  { id: 40, name: 'exchange', properties: [] },
  { id: 50, name: 'queue', properties: [] },
  { id: 60, name: 'basic', properties: ['contentType', 'contentEncoding', 'headers', 'deliveryMode', 'priority', 'correlationId', 'replyTo', 'expiration', 'messageId', 'timestamp', 'type', 'userId', 'appId', 'clusterId'] },
  { id: 85, name: 'confirm', properties: [] },
  { id: 90, name: 'tx', properties: [] },
];

// ---------------------------------------------------------------------------------------------------------
// Method argument decoders: one object literal per method, fields in declaration order.
// ---------------------------------------------------------------------------------------------------------

const EMPTY_ARGS: Record<string, never> = Object.freeze({}) as Record<string, never>;
const EMPTY_TABLE: FieldTable = Object.freeze({}) as FieldTable;

function decodeTableArg(b: Buffer, o: number, e: number, what: string): FieldTable {
  if (o + 4 > e) throw new FrameSyntaxError(`${what}: truncated arguments`);
  return readTableAt(b, o, e);
}

function decodeConnectionStart(b: Buffer, o: number, e: number): ConnectionStartArgs {
  need(o, 2, e, 'connection.start');
  const v0 = b[o]!;
  o += 1;
  const v1 = b[o]!;
  o += 1;
  const v2 = decodeTableArg(b, o, e, 'connection.start');
  o = skipLong(b, o);
  const v3 = readLongstr(b, o, e, 'connection.start');
  o = skipLong(b, o);
  const v4 = readLongstr(b, o, e, 'connection.start');
  o = skipLong(b, o);
  return {
    versionMajor: v0,
    versionMinor: v1,
    serverProperties: v2,
    mechanisms: v3,
    locales: v4,
  };
}

function decodeConnectionStartOk(b: Buffer, o: number, e: number): ConnectionStartOkArgs {
  const v0 = decodeTableArg(b, o, e, 'connection.start-ok');
  o = skipLong(b, o);
  const v1 = readShortstr(b, o, e, 'connection.start-ok');
  o += 1 + b[o]!;
  const v2 = readLongstr(b, o, e, 'connection.start-ok');
  o = skipLong(b, o);
  const v3 = readShortstr(b, o, e, 'connection.start-ok');
  o += 1 + b[o]!;
  return {
    clientProperties: v0,
    mechanism: v1,
    response: v2,
    locale: v3,
  };
}

function decodeConnectionSecure(b: Buffer, o: number, e: number): ConnectionSecureArgs {
  const v0 = readLongstr(b, o, e, 'connection.secure');
  o = skipLong(b, o);
  return {
    challenge: v0,
  };
}

function decodeConnectionSecureOk(b: Buffer, o: number, e: number): ConnectionSecureOkArgs {
  const v0 = readLongstr(b, o, e, 'connection.secure-ok');
  o = skipLong(b, o);
  return {
    response: v0,
  };
}

function decodeConnectionTune(b: Buffer, o: number, e: number): ConnectionTuneArgs {
  need(o, 8, e, 'connection.tune');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = b.readUInt32BE(o);
  o += 4;
  const v2 = b.readUInt16BE(o);
  o += 2;
  return {
    channelMax: v0,
    frameMax: v1,
    heartbeat: v2,
  };
}

function decodeConnectionTuneOk(b: Buffer, o: number, e: number): ConnectionTuneOkArgs {
  need(o, 8, e, 'connection.tune-ok');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = b.readUInt32BE(o);
  o += 4;
  const v2 = b.readUInt16BE(o);
  o += 2;
  return {
    channelMax: v0,
    frameMax: v1,
    heartbeat: v2,
  };
}

function decodeConnectionOpen(b: Buffer, o: number, e: number): ConnectionOpenArgs {
  const v0 = readShortstr(b, o, e, 'connection.open');
  o += 1 + b[o]!;
  const v1 = readShortstr(b, o, e, 'connection.open');
  o += 1 + b[o]!;
  need(o, 1, e, 'connection.open');
  const bits2 = b[o]!;
  o += 1;
  return {
    virtualHost: v0,
    capabilities: v1,
    insist: (bits2 & 1) !== 0,
  };
}

function decodeConnectionOpenOk(b: Buffer, o: number, e: number): ConnectionOpenOkArgs {
  const v0 = readShortstr(b, o, e, 'connection.open-ok');
  o += 1 + b[o]!;
  return {
    knownHosts: v0,
  };
}

function decodeConnectionClose(b: Buffer, o: number, e: number): ConnectionCloseArgs {
  need(o, 2, e, 'connection.close');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = readShortstr(b, o, e, 'connection.close');
  o += 1 + b[o]!;
  need(o, 4, e, 'connection.close');
  const v2 = b.readUInt16BE(o);
  o += 2;
  const v3 = b.readUInt16BE(o);
  o += 2;
  return {
    replyCode: v0,
    replyText: v1,
    classId: v2,
    methodId: v3,
  };
}

function decodeConnectionCloseOk(_b: Buffer, _o: number, _e: number): ConnectionCloseOkArgs {
  return EMPTY_ARGS;
}

function decodeConnectionBlocked(b: Buffer, o: number, e: number): ConnectionBlockedArgs {
  const v0 = readShortstr(b, o, e, 'connection.blocked');
  o += 1 + b[o]!;
  return {
    reason: v0,
  };
}

function decodeConnectionUnblocked(_b: Buffer, _o: number, _e: number): ConnectionUnblockedArgs {
  return EMPTY_ARGS;
}

function decodeConnectionUpdateSecret(b: Buffer, o: number, e: number): ConnectionUpdateSecretArgs {
  const v0 = readLongstr(b, o, e, 'connection.update-secret');
  o = skipLong(b, o);
  const v1 = readShortstr(b, o, e, 'connection.update-secret');
  o += 1 + b[o]!;
  return {
    newSecret: v0,
    reason: v1,
  };
}

function decodeConnectionUpdateSecretOk(_b: Buffer, _o: number, _e: number): ConnectionUpdateSecretOkArgs {
  return EMPTY_ARGS;
}

function decodeChannelOpen(b: Buffer, o: number, e: number): ChannelOpenArgs {
  const v0 = readShortstr(b, o, e, 'channel.open');
  o += 1 + b[o]!;
  return {
    outOfBand: v0,
  };
}

function decodeChannelOpenOk(b: Buffer, o: number, e: number): ChannelOpenOkArgs {
  const v0 = readLongstr(b, o, e, 'channel.open-ok');
  o = skipLong(b, o);
  return {
    channelId: v0,
  };
}

function decodeChannelFlow(b: Buffer, o: number, e: number): ChannelFlowArgs {
  need(o, 1, e, 'channel.flow');
  const bits0 = b[o]!;
  o += 1;
  return {
    active: (bits0 & 1) !== 0,
  };
}

function decodeChannelFlowOk(b: Buffer, o: number, e: number): ChannelFlowOkArgs {
  need(o, 1, e, 'channel.flow-ok');
  const bits0 = b[o]!;
  o += 1;
  return {
    active: (bits0 & 1) !== 0,
  };
}

function decodeChannelClose(b: Buffer, o: number, e: number): ChannelCloseArgs {
  need(o, 2, e, 'channel.close');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = readShortstr(b, o, e, 'channel.close');
  o += 1 + b[o]!;
  need(o, 4, e, 'channel.close');
  const v2 = b.readUInt16BE(o);
  o += 2;
  const v3 = b.readUInt16BE(o);
  o += 2;
  return {
    replyCode: v0,
    replyText: v1,
    classId: v2,
    methodId: v3,
  };
}

function decodeChannelCloseOk(_b: Buffer, _o: number, _e: number): ChannelCloseOkArgs {
  return EMPTY_ARGS;
}

function decodeExchangeDeclare(b: Buffer, o: number, e: number): ExchangeDeclareArgs {
  need(o, 2, e, 'exchange.declare');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = readShortstr(b, o, e, 'exchange.declare');
  o += 1 + b[o]!;
  const v2 = readShortstr(b, o, e, 'exchange.declare');
  o += 1 + b[o]!;
  need(o, 1, e, 'exchange.declare');
  const bits3 = b[o]!;
  o += 1;
  const v8 = decodeTableArg(b, o, e, 'exchange.declare');
  o = skipLong(b, o);
  return {
    ticket: v0,
    exchange: v1,
    type: v2,
    passive: (bits3 & 1) !== 0,
    durable: (bits3 & 2) !== 0,
    autoDelete: (bits3 & 4) !== 0,
    internal: (bits3 & 8) !== 0,
    noWait: (bits3 & 16) !== 0,
    arguments: v8,
  };
}

function decodeExchangeDeclareOk(_b: Buffer, _o: number, _e: number): ExchangeDeclareOkArgs {
  return EMPTY_ARGS;
}

function decodeExchangeDelete(b: Buffer, o: number, e: number): ExchangeDeleteArgs {
  need(o, 2, e, 'exchange.delete');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = readShortstr(b, o, e, 'exchange.delete');
  o += 1 + b[o]!;
  need(o, 1, e, 'exchange.delete');
  const bits2 = b[o]!;
  o += 1;
  return {
    ticket: v0,
    exchange: v1,
    ifUnused: (bits2 & 1) !== 0,
    noWait: (bits2 & 2) !== 0,
  };
}

function decodeExchangeDeleteOk(_b: Buffer, _o: number, _e: number): ExchangeDeleteOkArgs {
  return EMPTY_ARGS;
}

function decodeExchangeBind(b: Buffer, o: number, e: number): ExchangeBindArgs {
  need(o, 2, e, 'exchange.bind');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = readShortstr(b, o, e, 'exchange.bind');
  o += 1 + b[o]!;
  const v2 = readShortstr(b, o, e, 'exchange.bind');
  o += 1 + b[o]!;
  const v3 = readShortstr(b, o, e, 'exchange.bind');
  o += 1 + b[o]!;
  need(o, 1, e, 'exchange.bind');
  const bits4 = b[o]!;
  o += 1;
  const v5 = decodeTableArg(b, o, e, 'exchange.bind');
  o = skipLong(b, o);
  return {
    ticket: v0,
    destination: v1,
    source: v2,
    routingKey: v3,
    noWait: (bits4 & 1) !== 0,
    arguments: v5,
  };
}

function decodeExchangeBindOk(_b: Buffer, _o: number, _e: number): ExchangeBindOkArgs {
  return EMPTY_ARGS;
}

function decodeExchangeUnbind(b: Buffer, o: number, e: number): ExchangeUnbindArgs {
  need(o, 2, e, 'exchange.unbind');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = readShortstr(b, o, e, 'exchange.unbind');
  o += 1 + b[o]!;
  const v2 = readShortstr(b, o, e, 'exchange.unbind');
  o += 1 + b[o]!;
  const v3 = readShortstr(b, o, e, 'exchange.unbind');
  o += 1 + b[o]!;
  need(o, 1, e, 'exchange.unbind');
  const bits4 = b[o]!;
  o += 1;
  const v5 = decodeTableArg(b, o, e, 'exchange.unbind');
  o = skipLong(b, o);
  return {
    ticket: v0,
    destination: v1,
    source: v2,
    routingKey: v3,
    noWait: (bits4 & 1) !== 0,
    arguments: v5,
  };
}

function decodeExchangeUnbindOk(_b: Buffer, _o: number, _e: number): ExchangeUnbindOkArgs {
  return EMPTY_ARGS;
}

function decodeQueueDeclare(b: Buffer, o: number, e: number): QueueDeclareArgs {
  need(o, 2, e, 'queue.declare');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = readShortstr(b, o, e, 'queue.declare');
  o += 1 + b[o]!;
  need(o, 1, e, 'queue.declare');
  const bits2 = b[o]!;
  o += 1;
  const v7 = decodeTableArg(b, o, e, 'queue.declare');
  o = skipLong(b, o);
  return {
    ticket: v0,
    queue: v1,
    passive: (bits2 & 1) !== 0,
    durable: (bits2 & 2) !== 0,
    exclusive: (bits2 & 4) !== 0,
    autoDelete: (bits2 & 8) !== 0,
    noWait: (bits2 & 16) !== 0,
    arguments: v7,
  };
}

function decodeQueueDeclareOk(b: Buffer, o: number, e: number): QueueDeclareOkArgs {
  const v0 = readShortstr(b, o, e, 'queue.declare-ok');
  o += 1 + b[o]!;
  need(o, 8, e, 'queue.declare-ok');
  const v1 = b.readUInt32BE(o);
  o += 4;
  const v2 = b.readUInt32BE(o);
  o += 4;
  return {
    queue: v0,
    messageCount: v1,
    consumerCount: v2,
  };
}

function decodeQueueBind(b: Buffer, o: number, e: number): QueueBindArgs {
  need(o, 2, e, 'queue.bind');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = readShortstr(b, o, e, 'queue.bind');
  o += 1 + b[o]!;
  const v2 = readShortstr(b, o, e, 'queue.bind');
  o += 1 + b[o]!;
  const v3 = readShortstr(b, o, e, 'queue.bind');
  o += 1 + b[o]!;
  need(o, 1, e, 'queue.bind');
  const bits4 = b[o]!;
  o += 1;
  const v5 = decodeTableArg(b, o, e, 'queue.bind');
  o = skipLong(b, o);
  return {
    ticket: v0,
    queue: v1,
    exchange: v2,
    routingKey: v3,
    noWait: (bits4 & 1) !== 0,
    arguments: v5,
  };
}

function decodeQueueBindOk(_b: Buffer, _o: number, _e: number): QueueBindOkArgs {
  return EMPTY_ARGS;
}

function decodeQueuePurge(b: Buffer, o: number, e: number): QueuePurgeArgs {
  need(o, 2, e, 'queue.purge');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = readShortstr(b, o, e, 'queue.purge');
  o += 1 + b[o]!;
  need(o, 1, e, 'queue.purge');
  const bits2 = b[o]!;
  o += 1;
  return {
    ticket: v0,
    queue: v1,
    noWait: (bits2 & 1) !== 0,
  };
}

function decodeQueuePurgeOk(b: Buffer, o: number, e: number): QueuePurgeOkArgs {
  need(o, 4, e, 'queue.purge-ok');
  const v0 = b.readUInt32BE(o);
  o += 4;
  return {
    messageCount: v0,
  };
}

function decodeQueueDelete(b: Buffer, o: number, e: number): QueueDeleteArgs {
  need(o, 2, e, 'queue.delete');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = readShortstr(b, o, e, 'queue.delete');
  o += 1 + b[o]!;
  need(o, 1, e, 'queue.delete');
  const bits2 = b[o]!;
  o += 1;
  return {
    ticket: v0,
    queue: v1,
    ifUnused: (bits2 & 1) !== 0,
    ifEmpty: (bits2 & 2) !== 0,
    noWait: (bits2 & 4) !== 0,
  };
}

function decodeQueueDeleteOk(b: Buffer, o: number, e: number): QueueDeleteOkArgs {
  need(o, 4, e, 'queue.delete-ok');
  const v0 = b.readUInt32BE(o);
  o += 4;
  return {
    messageCount: v0,
  };
}

function decodeQueueUnbind(b: Buffer, o: number, e: number): QueueUnbindArgs {
  need(o, 2, e, 'queue.unbind');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = readShortstr(b, o, e, 'queue.unbind');
  o += 1 + b[o]!;
  const v2 = readShortstr(b, o, e, 'queue.unbind');
  o += 1 + b[o]!;
  const v3 = readShortstr(b, o, e, 'queue.unbind');
  o += 1 + b[o]!;
  const v4 = decodeTableArg(b, o, e, 'queue.unbind');
  o = skipLong(b, o);
  return {
    ticket: v0,
    queue: v1,
    exchange: v2,
    routingKey: v3,
    arguments: v4,
  };
}

function decodeQueueUnbindOk(_b: Buffer, _o: number, _e: number): QueueUnbindOkArgs {
  return EMPTY_ARGS;
}

function decodeBasicQos(b: Buffer, o: number, e: number): BasicQosArgs {
  need(o, 7, e, 'basic.qos');
  const v0 = b.readUInt32BE(o);
  o += 4;
  const v1 = b.readUInt16BE(o);
  o += 2;
  const bits2 = b[o]!;
  o += 1;
  return {
    prefetchSize: v0,
    prefetchCount: v1,
    global: (bits2 & 1) !== 0,
  };
}

function decodeBasicQosOk(_b: Buffer, _o: number, _e: number): BasicQosOkArgs {
  return EMPTY_ARGS;
}

function decodeBasicConsume(b: Buffer, o: number, e: number): BasicConsumeArgs {
  need(o, 2, e, 'basic.consume');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = readShortstr(b, o, e, 'basic.consume');
  o += 1 + b[o]!;
  const v2 = readShortstr(b, o, e, 'basic.consume');
  o += 1 + b[o]!;
  need(o, 1, e, 'basic.consume');
  const bits3 = b[o]!;
  o += 1;
  const v7 = decodeTableArg(b, o, e, 'basic.consume');
  o = skipLong(b, o);
  return {
    ticket: v0,
    queue: v1,
    consumerTag: v2,
    noLocal: (bits3 & 1) !== 0,
    noAck: (bits3 & 2) !== 0,
    exclusive: (bits3 & 4) !== 0,
    noWait: (bits3 & 8) !== 0,
    arguments: v7,
  };
}

function decodeBasicConsumeOk(b: Buffer, o: number, e: number): BasicConsumeOkArgs {
  const v0 = readShortstr(b, o, e, 'basic.consume-ok');
  o += 1 + b[o]!;
  return {
    consumerTag: v0,
  };
}

function decodeBasicCancel(b: Buffer, o: number, e: number): BasicCancelArgs {
  const v0 = readShortstr(b, o, e, 'basic.cancel');
  o += 1 + b[o]!;
  need(o, 1, e, 'basic.cancel');
  const bits1 = b[o]!;
  o += 1;
  return {
    consumerTag: v0,
    noWait: (bits1 & 1) !== 0,
  };
}

function decodeBasicCancelOk(b: Buffer, o: number, e: number): BasicCancelOkArgs {
  const v0 = readShortstr(b, o, e, 'basic.cancel-ok');
  o += 1 + b[o]!;
  return {
    consumerTag: v0,
  };
}

function decodeBasicPublish(b: Buffer, o: number, e: number): BasicPublishArgs {
  need(o, 2, e, 'basic.publish');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = readAnyShortstr(b, o, e, 'basic.publish');
  o += 1 + b[o]!;
  const v2 = readAnyShortstr(b, o, e, 'basic.publish');
  o += 1 + b[o]!;
  need(o, 1, e, 'basic.publish');
  const bits3 = b[o]!;
  o += 1;
  return {
    ticket: v0,
    exchange: v1,
    routingKey: v2,
    mandatory: (bits3 & 1) !== 0,
    immediate: (bits3 & 2) !== 0,
  };
}

function decodeBasicReturn(b: Buffer, o: number, e: number): BasicReturnArgs {
  need(o, 2, e, 'basic.return');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = readShortstr(b, o, e, 'basic.return');
  o += 1 + b[o]!;
  const v2 = readShortstr(b, o, e, 'basic.return');
  o += 1 + b[o]!;
  const v3 = readShortstr(b, o, e, 'basic.return');
  o += 1 + b[o]!;
  return {
    replyCode: v0,
    replyText: v1,
    exchange: v2,
    routingKey: v3,
  };
}

function decodeBasicDeliver(b: Buffer, o: number, e: number): BasicDeliverArgs {
  const v0 = readShortstr(b, o, e, 'basic.deliver');
  o += 1 + b[o]!;
  need(o, 9, e, 'basic.deliver');
  const v1 = readLonglong(b, o);
  o += 8;
  const bits2 = b[o]!;
  o += 1;
  const v3 = readShortstr(b, o, e, 'basic.deliver');
  o += 1 + b[o]!;
  const v4 = readShortstr(b, o, e, 'basic.deliver');
  o += 1 + b[o]!;
  return {
    consumerTag: v0,
    deliveryTag: v1,
    redelivered: (bits2 & 1) !== 0,
    exchange: v3,
    routingKey: v4,
  };
}

function decodeBasicGet(b: Buffer, o: number, e: number): BasicGetArgs {
  need(o, 2, e, 'basic.get');
  const v0 = b.readUInt16BE(o);
  o += 2;
  const v1 = readShortstr(b, o, e, 'basic.get');
  o += 1 + b[o]!;
  need(o, 1, e, 'basic.get');
  const bits2 = b[o]!;
  o += 1;
  return {
    ticket: v0,
    queue: v1,
    noAck: (bits2 & 1) !== 0,
  };
}

function decodeBasicGetOk(b: Buffer, o: number, e: number): BasicGetOkArgs {
  need(o, 9, e, 'basic.get-ok');
  const v0 = readLonglong(b, o);
  o += 8;
  const bits1 = b[o]!;
  o += 1;
  const v2 = readShortstr(b, o, e, 'basic.get-ok');
  o += 1 + b[o]!;
  const v3 = readShortstr(b, o, e, 'basic.get-ok');
  o += 1 + b[o]!;
  need(o, 4, e, 'basic.get-ok');
  const v4 = b.readUInt32BE(o);
  o += 4;
  return {
    deliveryTag: v0,
    redelivered: (bits1 & 1) !== 0,
    exchange: v2,
    routingKey: v3,
    messageCount: v4,
  };
}

function decodeBasicGetEmpty(b: Buffer, o: number, e: number): BasicGetEmptyArgs {
  const v0 = readShortstr(b, o, e, 'basic.get-empty');
  o += 1 + b[o]!;
  return {
    clusterId: v0,
  };
}

function decodeBasicAck(b: Buffer, o: number, e: number): BasicAckArgs {
  need(o, 9, e, 'basic.ack');
  const v0 = readLonglong(b, o);
  o += 8;
  const bits1 = b[o]!;
  o += 1;
  return {
    deliveryTag: v0,
    multiple: (bits1 & 1) !== 0,
  };
}

function decodeBasicReject(b: Buffer, o: number, e: number): BasicRejectArgs {
  need(o, 9, e, 'basic.reject');
  const v0 = readLonglong(b, o);
  o += 8;
  const bits1 = b[o]!;
  o += 1;
  return {
    deliveryTag: v0,
    requeue: (bits1 & 1) !== 0,
  };
}

function decodeBasicRecoverAsync(b: Buffer, o: number, e: number): BasicRecoverAsyncArgs {
  need(o, 1, e, 'basic.recover-async');
  const bits0 = b[o]!;
  o += 1;
  return {
    requeue: (bits0 & 1) !== 0,
  };
}

function decodeBasicRecover(b: Buffer, o: number, e: number): BasicRecoverArgs {
  need(o, 1, e, 'basic.recover');
  const bits0 = b[o]!;
  o += 1;
  return {
    requeue: (bits0 & 1) !== 0,
  };
}

function decodeBasicRecoverOk(_b: Buffer, _o: number, _e: number): BasicRecoverOkArgs {
  return EMPTY_ARGS;
}

function decodeBasicNack(b: Buffer, o: number, e: number): BasicNackArgs {
  need(o, 9, e, 'basic.nack');
  const v0 = readLonglong(b, o);
  o += 8;
  const bits1 = b[o]!;
  o += 1;
  return {
    deliveryTag: v0,
    multiple: (bits1 & 1) !== 0,
    requeue: (bits1 & 2) !== 0,
  };
}

function decodeConfirmSelect(b: Buffer, o: number, e: number): ConfirmSelectArgs {
  need(o, 1, e, 'confirm.select');
  const bits0 = b[o]!;
  o += 1;
  return {
    noWait: (bits0 & 1) !== 0,
  };
}

function decodeConfirmSelectOk(_b: Buffer, _o: number, _e: number): ConfirmSelectOkArgs {
  return EMPTY_ARGS;
}

function decodeTxSelect(_b: Buffer, _o: number, _e: number): TxSelectArgs {
  return EMPTY_ARGS;
}

function decodeTxSelectOk(_b: Buffer, _o: number, _e: number): TxSelectOkArgs {
  return EMPTY_ARGS;
}

function decodeTxCommit(_b: Buffer, _o: number, _e: number): TxCommitArgs {
  return EMPTY_ARGS;
}

function decodeTxCommitOk(_b: Buffer, _o: number, _e: number): TxCommitOkArgs {
  return EMPTY_ARGS;
}

function decodeTxRollback(_b: Buffer, _o: number, _e: number): TxRollbackArgs {
  return EMPTY_ARGS;
}

function decodeTxRollbackOk(_b: Buffer, _o: number, _e: number): TxRollbackOkArgs {
  return EMPTY_ARGS;
}

/**
 * Decodes the arguments of method `id` from buf[offset, end) (offset is just past the class and method ids).
 * Throws UnknownMethodError for an unknown id, FrameSyntaxError for truncated or malformed arguments.
 * Bytes after the last argument are ignored.
 */
export function decodeMethodArgs<K extends keyof MethodArgsById>(id: K, buf: Buffer, offset: number, end: number): MethodArgsById[K];
export function decodeMethodArgs(id: number, buf: Buffer, offset: number, end: number): object;
export function decodeMethodArgs(id: number, buf: Buffer, offset: number, end: number): object {
  if (end > buf.length) end = buf.length;
  switch (id) {
    case MethodId.ConnectionStart:
      return decodeConnectionStart(buf, offset, end);
    case MethodId.ConnectionStartOk:
      return decodeConnectionStartOk(buf, offset, end);
    case MethodId.ConnectionSecure:
      return decodeConnectionSecure(buf, offset, end);
    case MethodId.ConnectionSecureOk:
      return decodeConnectionSecureOk(buf, offset, end);
    case MethodId.ConnectionTune:
      return decodeConnectionTune(buf, offset, end);
    case MethodId.ConnectionTuneOk:
      return decodeConnectionTuneOk(buf, offset, end);
    case MethodId.ConnectionOpen:
      return decodeConnectionOpen(buf, offset, end);
    case MethodId.ConnectionOpenOk:
      return decodeConnectionOpenOk(buf, offset, end);
    case MethodId.ConnectionClose:
      return decodeConnectionClose(buf, offset, end);
    case MethodId.ConnectionCloseOk:
      return decodeConnectionCloseOk(buf, offset, end);
    case MethodId.ConnectionBlocked:
      return decodeConnectionBlocked(buf, offset, end);
    case MethodId.ConnectionUnblocked:
      return decodeConnectionUnblocked(buf, offset, end);
    case MethodId.ConnectionUpdateSecret:
      return decodeConnectionUpdateSecret(buf, offset, end);
    case MethodId.ConnectionUpdateSecretOk:
      return decodeConnectionUpdateSecretOk(buf, offset, end);
    case MethodId.ChannelOpen:
      return decodeChannelOpen(buf, offset, end);
    case MethodId.ChannelOpenOk:
      return decodeChannelOpenOk(buf, offset, end);
    case MethodId.ChannelFlow:
      return decodeChannelFlow(buf, offset, end);
    case MethodId.ChannelFlowOk:
      return decodeChannelFlowOk(buf, offset, end);
    case MethodId.ChannelClose:
      return decodeChannelClose(buf, offset, end);
    case MethodId.ChannelCloseOk:
      return decodeChannelCloseOk(buf, offset, end);
    case MethodId.ExchangeDeclare:
      return decodeExchangeDeclare(buf, offset, end);
    case MethodId.ExchangeDeclareOk:
      return decodeExchangeDeclareOk(buf, offset, end);
    case MethodId.ExchangeDelete:
      return decodeExchangeDelete(buf, offset, end);
    case MethodId.ExchangeDeleteOk:
      return decodeExchangeDeleteOk(buf, offset, end);
    case MethodId.ExchangeBind:
      return decodeExchangeBind(buf, offset, end);
    case MethodId.ExchangeBindOk:
      return decodeExchangeBindOk(buf, offset, end);
    case MethodId.ExchangeUnbind:
      return decodeExchangeUnbind(buf, offset, end);
    case MethodId.ExchangeUnbindOk:
      return decodeExchangeUnbindOk(buf, offset, end);
    case MethodId.QueueDeclare:
      return decodeQueueDeclare(buf, offset, end);
    case MethodId.QueueDeclareOk:
      return decodeQueueDeclareOk(buf, offset, end);
    case MethodId.QueueBind:
      return decodeQueueBind(buf, offset, end);
    case MethodId.QueueBindOk:
      return decodeQueueBindOk(buf, offset, end);
    case MethodId.QueuePurge:
      return decodeQueuePurge(buf, offset, end);
    case MethodId.QueuePurgeOk:
      return decodeQueuePurgeOk(buf, offset, end);
    case MethodId.QueueDelete:
      return decodeQueueDelete(buf, offset, end);
    case MethodId.QueueDeleteOk:
      return decodeQueueDeleteOk(buf, offset, end);
    case MethodId.QueueUnbind:
      return decodeQueueUnbind(buf, offset, end);
    case MethodId.QueueUnbindOk:
      return decodeQueueUnbindOk(buf, offset, end);
    case MethodId.BasicQos:
      return decodeBasicQos(buf, offset, end);
    case MethodId.BasicQosOk:
      return decodeBasicQosOk(buf, offset, end);
    case MethodId.BasicConsume:
      return decodeBasicConsume(buf, offset, end);
    case MethodId.BasicConsumeOk:
      return decodeBasicConsumeOk(buf, offset, end);
    case MethodId.BasicCancel:
      return decodeBasicCancel(buf, offset, end);
    case MethodId.BasicCancelOk:
      return decodeBasicCancelOk(buf, offset, end);
    case MethodId.BasicPublish:
      return decodeBasicPublish(buf, offset, end);
    case MethodId.BasicReturn:
      return decodeBasicReturn(buf, offset, end);
    case MethodId.BasicDeliver:
      return decodeBasicDeliver(buf, offset, end);
    case MethodId.BasicGet:
      return decodeBasicGet(buf, offset, end);
    case MethodId.BasicGetOk:
      return decodeBasicGetOk(buf, offset, end);
    case MethodId.BasicGetEmpty:
      return decodeBasicGetEmpty(buf, offset, end);
    case MethodId.BasicAck:
      return decodeBasicAck(buf, offset, end);
    case MethodId.BasicReject:
      return decodeBasicReject(buf, offset, end);
    case MethodId.BasicRecoverAsync:
      return decodeBasicRecoverAsync(buf, offset, end);
    case MethodId.BasicRecover:
      return decodeBasicRecover(buf, offset, end);
    case MethodId.BasicRecoverOk:
      return decodeBasicRecoverOk(buf, offset, end);
    case MethodId.BasicNack:
      return decodeBasicNack(buf, offset, end);
    case MethodId.ConfirmSelect:
      return decodeConfirmSelect(buf, offset, end);
    case MethodId.ConfirmSelectOk:
      return decodeConfirmSelectOk(buf, offset, end);
    case MethodId.TxSelect:
      return decodeTxSelect(buf, offset, end);
    case MethodId.TxSelectOk:
      return decodeTxSelectOk(buf, offset, end);
    case MethodId.TxCommit:
      return decodeTxCommit(buf, offset, end);
    case MethodId.TxCommitOk:
      return decodeTxCommitOk(buf, offset, end);
    case MethodId.TxRollback:
      return decodeTxRollback(buf, offset, end);
    case MethodId.TxRollbackOk:
      return decodeTxRollbackOk(buf, offset, end);
    default:
      throw new UnknownMethodError(id >>> 16, id & 0xffff);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Method frame encoders: size first, allocate once. Missing fields take defaults (0, '', false, {}, empty).
// ---------------------------------------------------------------------------------------------------------

function encodeConnectionStart(ch: number, args: object): Buffer {
  const a = args as Partial<ConnectionStartArgs>;
  const v2 = a.serverProperties ?? EMPTY_TABLE;
  const n2 = encodedTableSize(v2);
  const v3 = toLongstr(a.mechanisms);
  const v4 = toLongstr(a.locales);
  const size = 22 + n2 + v3.length + v4.length;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConnectionStart, 7);
  let o = 11;
  b.writeUInt8(a.versionMajor ?? 0, o);
  o += 1;
  b.writeUInt8(a.versionMinor ?? 0, o);
  o += 1;
  o = writeTable(b, o, v2);
  o = writeLongstr(b, o, v3);
  o = writeLongstr(b, o, v4);
  b[o] = FRAME_END;
  return b;
}

function encodeConnectionStartOk(ch: number, args: object): Buffer {
  const a = args as Partial<ConnectionStartOkArgs>;
  const v0 = a.clientProperties ?? EMPTY_TABLE;
  const n0 = encodedTableSize(v0);
  const v1 = a.mechanism ?? '';
  const n1 = shortstrLength(v1, 'connection.start-ok mechanism');
  const v2 = toLongstr(a.response);
  const v3 = a.locale ?? '';
  const n3 = shortstrLength(v3, 'connection.start-ok locale');
  const size = 18 + n0 + n1 + v2.length + n3;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConnectionStartOk, 7);
  let o = 11;
  o = writeTable(b, o, v0);
  o = writeShortstr(b, o, v1, n1);
  o = writeLongstr(b, o, v2);
  o = writeShortstr(b, o, v3, n3);
  b[o] = FRAME_END;
  return b;
}

function encodeConnectionSecure(ch: number, args: object): Buffer {
  const a = args as Partial<ConnectionSecureArgs>;
  const v0 = toLongstr(a.challenge);
  const size = 16 + v0.length;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConnectionSecure, 7);
  let o = 11;
  o = writeLongstr(b, o, v0);
  b[o] = FRAME_END;
  return b;
}

function encodeConnectionSecureOk(ch: number, args: object): Buffer {
  const a = args as Partial<ConnectionSecureOkArgs>;
  const v0 = toLongstr(a.response);
  const size = 16 + v0.length;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConnectionSecureOk, 7);
  let o = 11;
  o = writeLongstr(b, o, v0);
  b[o] = FRAME_END;
  return b;
}

function encodeConnectionTune(ch: number, args: object): Buffer {
  const a = args as Partial<ConnectionTuneArgs>;
  const size = 20;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConnectionTune, 7);
  let o = 11;
  b.writeUInt16BE(a.channelMax ?? 0, o);
  o += 2;
  b.writeUInt32BE(a.frameMax ?? 0, o);
  o += 4;
  b.writeUInt16BE(a.heartbeat ?? 0, o);
  o += 2;
  b[o] = FRAME_END;
  return b;
}

function encodeConnectionTuneOk(ch: number, args: object): Buffer {
  const a = args as Partial<ConnectionTuneOkArgs>;
  const size = 20;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConnectionTuneOk, 7);
  let o = 11;
  b.writeUInt16BE(a.channelMax ?? 0, o);
  o += 2;
  b.writeUInt32BE(a.frameMax ?? 0, o);
  o += 4;
  b.writeUInt16BE(a.heartbeat ?? 0, o);
  o += 2;
  b[o] = FRAME_END;
  return b;
}

function encodeConnectionOpen(ch: number, args: object): Buffer {
  const a = args as Partial<ConnectionOpenArgs>;
  const v0 = a.virtualHost ?? '';
  const n0 = shortstrLength(v0, 'connection.open virtual-host');
  const v1 = a.capabilities ?? '';
  const n1 = shortstrLength(v1, 'connection.open capabilities');
  const size = 15 + n0 + n1;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConnectionOpen, 7);
  let o = 11;
  o = writeShortstr(b, o, v0, n0);
  o = writeShortstr(b, o, v1, n1);
  b[o] = (a.insist ? 1 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeConnectionOpenOk(ch: number, args: object): Buffer {
  const a = args as Partial<ConnectionOpenOkArgs>;
  const v0 = a.knownHosts ?? '';
  const n0 = shortstrLength(v0, 'connection.open-ok known-hosts');
  const size = 13 + n0;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConnectionOpenOk, 7);
  let o = 11;
  o = writeShortstr(b, o, v0, n0);
  b[o] = FRAME_END;
  return b;
}

function encodeConnectionClose(ch: number, args: object): Buffer {
  const a = args as Partial<ConnectionCloseArgs>;
  const v1 = truncateShortstr(a.replyText ?? '');
  const n1 = shortstrLength(v1, 'connection.close reply-text');
  const size = 19 + n1;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConnectionClose, 7);
  let o = 11;
  b.writeUInt16BE(a.replyCode ?? 0, o);
  o += 2;
  o = writeShortstr(b, o, v1, n1);
  b.writeUInt16BE(a.classId ?? 0, o);
  o += 2;
  b.writeUInt16BE(a.methodId ?? 0, o);
  o += 2;
  b[o] = FRAME_END;
  return b;
}

function encodeConnectionCloseOk(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConnectionCloseOk, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeConnectionBlocked(ch: number, args: object): Buffer {
  const a = args as Partial<ConnectionBlockedArgs>;
  const v0 = a.reason ?? '';
  const n0 = shortstrLength(v0, 'connection.blocked reason');
  const size = 13 + n0;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConnectionBlocked, 7);
  let o = 11;
  o = writeShortstr(b, o, v0, n0);
  b[o] = FRAME_END;
  return b;
}

function encodeConnectionUnblocked(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConnectionUnblocked, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeConnectionUpdateSecret(ch: number, args: object): Buffer {
  const a = args as Partial<ConnectionUpdateSecretArgs>;
  const v0 = toLongstr(a.newSecret);
  const v1 = a.reason ?? '';
  const n1 = shortstrLength(v1, 'connection.update-secret reason');
  const size = 17 + v0.length + n1;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConnectionUpdateSecret, 7);
  let o = 11;
  o = writeLongstr(b, o, v0);
  o = writeShortstr(b, o, v1, n1);
  b[o] = FRAME_END;
  return b;
}

function encodeConnectionUpdateSecretOk(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConnectionUpdateSecretOk, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeChannelOpen(ch: number, args: object): Buffer {
  const a = args as Partial<ChannelOpenArgs>;
  const v0 = a.outOfBand ?? '';
  const n0 = shortstrLength(v0, 'channel.open out-of-band');
  const size = 13 + n0;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ChannelOpen, 7);
  let o = 11;
  o = writeShortstr(b, o, v0, n0);
  b[o] = FRAME_END;
  return b;
}

function encodeChannelOpenOk(ch: number, args: object): Buffer {
  const a = args as Partial<ChannelOpenOkArgs>;
  const v0 = toLongstr(a.channelId);
  const size = 16 + v0.length;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ChannelOpenOk, 7);
  let o = 11;
  o = writeLongstr(b, o, v0);
  b[o] = FRAME_END;
  return b;
}

function encodeChannelFlow(ch: number, args: object): Buffer {
  const a = args as Partial<ChannelFlowArgs>;
  const size = 13;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ChannelFlow, 7);
  let o = 11;
  b[o] = (a.active ? 1 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeChannelFlowOk(ch: number, args: object): Buffer {
  const a = args as Partial<ChannelFlowOkArgs>;
  const size = 13;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ChannelFlowOk, 7);
  let o = 11;
  b[o] = (a.active ? 1 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeChannelClose(ch: number, args: object): Buffer {
  const a = args as Partial<ChannelCloseArgs>;
  const v1 = truncateShortstr(a.replyText ?? '');
  const n1 = shortstrLength(v1, 'channel.close reply-text');
  const size = 19 + n1;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ChannelClose, 7);
  let o = 11;
  b.writeUInt16BE(a.replyCode ?? 0, o);
  o += 2;
  o = writeShortstr(b, o, v1, n1);
  b.writeUInt16BE(a.classId ?? 0, o);
  o += 2;
  b.writeUInt16BE(a.methodId ?? 0, o);
  o += 2;
  b[o] = FRAME_END;
  return b;
}

function encodeChannelCloseOk(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ChannelCloseOk, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeExchangeDeclare(ch: number, args: object): Buffer {
  const a = args as Partial<ExchangeDeclareArgs>;
  const v1 = a.exchange ?? '';
  const n1 = shortstrLength(v1, 'exchange.declare exchange');
  const v2 = a.type ?? '';
  const n2 = shortstrLength(v2, 'exchange.declare type');
  const v8 = a.arguments ?? EMPTY_TABLE;
  const n8 = encodedTableSize(v8);
  const size = 17 + n1 + n2 + n8;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ExchangeDeclare, 7);
  let o = 11;
  b.writeUInt16BE(a.ticket ?? 0, o);
  o += 2;
  o = writeShortstr(b, o, v1, n1);
  o = writeShortstr(b, o, v2, n2);
  b[o] = (a.passive ? 1 : 0) | (a.durable ? 2 : 0) | (a.autoDelete ? 4 : 0) | (a.internal ? 8 : 0) | (a.noWait ? 16 : 0);
  o += 1;
  o = writeTable(b, o, v8);
  b[o] = FRAME_END;
  return b;
}

function encodeExchangeDeclareOk(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ExchangeDeclareOk, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeExchangeDelete(ch: number, args: object): Buffer {
  const a = args as Partial<ExchangeDeleteArgs>;
  const v1 = a.exchange ?? '';
  const n1 = shortstrLength(v1, 'exchange.delete exchange');
  const size = 16 + n1;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ExchangeDelete, 7);
  let o = 11;
  b.writeUInt16BE(a.ticket ?? 0, o);
  o += 2;
  o = writeShortstr(b, o, v1, n1);
  b[o] = (a.ifUnused ? 1 : 0) | (a.noWait ? 2 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeExchangeDeleteOk(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ExchangeDeleteOk, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeExchangeBind(ch: number, args: object): Buffer {
  const a = args as Partial<ExchangeBindArgs>;
  const v1 = a.destination ?? '';
  const n1 = shortstrLength(v1, 'exchange.bind destination');
  const v2 = a.source ?? '';
  const n2 = shortstrLength(v2, 'exchange.bind source');
  const v3 = a.routingKey ?? '';
  const n3 = shortstrLength(v3, 'exchange.bind routing-key');
  const v5 = a.arguments ?? EMPTY_TABLE;
  const n5 = encodedTableSize(v5);
  const size = 18 + n1 + n2 + n3 + n5;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ExchangeBind, 7);
  let o = 11;
  b.writeUInt16BE(a.ticket ?? 0, o);
  o += 2;
  o = writeShortstr(b, o, v1, n1);
  o = writeShortstr(b, o, v2, n2);
  o = writeShortstr(b, o, v3, n3);
  b[o] = (a.noWait ? 1 : 0);
  o += 1;
  o = writeTable(b, o, v5);
  b[o] = FRAME_END;
  return b;
}

function encodeExchangeBindOk(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ExchangeBindOk, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeExchangeUnbind(ch: number, args: object): Buffer {
  const a = args as Partial<ExchangeUnbindArgs>;
  const v1 = a.destination ?? '';
  const n1 = shortstrLength(v1, 'exchange.unbind destination');
  const v2 = a.source ?? '';
  const n2 = shortstrLength(v2, 'exchange.unbind source');
  const v3 = a.routingKey ?? '';
  const n3 = shortstrLength(v3, 'exchange.unbind routing-key');
  const v5 = a.arguments ?? EMPTY_TABLE;
  const n5 = encodedTableSize(v5);
  const size = 18 + n1 + n2 + n3 + n5;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ExchangeUnbind, 7);
  let o = 11;
  b.writeUInt16BE(a.ticket ?? 0, o);
  o += 2;
  o = writeShortstr(b, o, v1, n1);
  o = writeShortstr(b, o, v2, n2);
  o = writeShortstr(b, o, v3, n3);
  b[o] = (a.noWait ? 1 : 0);
  o += 1;
  o = writeTable(b, o, v5);
  b[o] = FRAME_END;
  return b;
}

function encodeExchangeUnbindOk(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ExchangeUnbindOk, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeQueueDeclare(ch: number, args: object): Buffer {
  const a = args as Partial<QueueDeclareArgs>;
  const v1 = a.queue ?? '';
  const n1 = shortstrLength(v1, 'queue.declare queue');
  const v7 = a.arguments ?? EMPTY_TABLE;
  const n7 = encodedTableSize(v7);
  const size = 16 + n1 + n7;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.QueueDeclare, 7);
  let o = 11;
  b.writeUInt16BE(a.ticket ?? 0, o);
  o += 2;
  o = writeShortstr(b, o, v1, n1);
  b[o] = (a.passive ? 1 : 0) | (a.durable ? 2 : 0) | (a.exclusive ? 4 : 0) | (a.autoDelete ? 8 : 0) | (a.noWait ? 16 : 0);
  o += 1;
  o = writeTable(b, o, v7);
  b[o] = FRAME_END;
  return b;
}

function encodeQueueDeclareOk(ch: number, args: object): Buffer {
  const a = args as Partial<QueueDeclareOkArgs>;
  const v0 = a.queue ?? '';
  const n0 = shortstrLength(v0, 'queue.declare-ok queue');
  const size = 21 + n0;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.QueueDeclareOk, 7);
  let o = 11;
  o = writeShortstr(b, o, v0, n0);
  b.writeUInt32BE(a.messageCount ?? 0, o);
  o += 4;
  b.writeUInt32BE(a.consumerCount ?? 0, o);
  o += 4;
  b[o] = FRAME_END;
  return b;
}

function encodeQueueBind(ch: number, args: object): Buffer {
  const a = args as Partial<QueueBindArgs>;
  const v1 = a.queue ?? '';
  const n1 = shortstrLength(v1, 'queue.bind queue');
  const v2 = a.exchange ?? '';
  const n2 = shortstrLength(v2, 'queue.bind exchange');
  const v3 = a.routingKey ?? '';
  const n3 = shortstrLength(v3, 'queue.bind routing-key');
  const v5 = a.arguments ?? EMPTY_TABLE;
  const n5 = encodedTableSize(v5);
  const size = 18 + n1 + n2 + n3 + n5;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.QueueBind, 7);
  let o = 11;
  b.writeUInt16BE(a.ticket ?? 0, o);
  o += 2;
  o = writeShortstr(b, o, v1, n1);
  o = writeShortstr(b, o, v2, n2);
  o = writeShortstr(b, o, v3, n3);
  b[o] = (a.noWait ? 1 : 0);
  o += 1;
  o = writeTable(b, o, v5);
  b[o] = FRAME_END;
  return b;
}

function encodeQueueBindOk(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.QueueBindOk, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeQueuePurge(ch: number, args: object): Buffer {
  const a = args as Partial<QueuePurgeArgs>;
  const v1 = a.queue ?? '';
  const n1 = shortstrLength(v1, 'queue.purge queue');
  const size = 16 + n1;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.QueuePurge, 7);
  let o = 11;
  b.writeUInt16BE(a.ticket ?? 0, o);
  o += 2;
  o = writeShortstr(b, o, v1, n1);
  b[o] = (a.noWait ? 1 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeQueuePurgeOk(ch: number, args: object): Buffer {
  const a = args as Partial<QueuePurgeOkArgs>;
  const size = 16;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.QueuePurgeOk, 7);
  let o = 11;
  b.writeUInt32BE(a.messageCount ?? 0, o);
  o += 4;
  b[o] = FRAME_END;
  return b;
}

function encodeQueueDelete(ch: number, args: object): Buffer {
  const a = args as Partial<QueueDeleteArgs>;
  const v1 = a.queue ?? '';
  const n1 = shortstrLength(v1, 'queue.delete queue');
  const size = 16 + n1;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.QueueDelete, 7);
  let o = 11;
  b.writeUInt16BE(a.ticket ?? 0, o);
  o += 2;
  o = writeShortstr(b, o, v1, n1);
  b[o] = (a.ifUnused ? 1 : 0) | (a.ifEmpty ? 2 : 0) | (a.noWait ? 4 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeQueueDeleteOk(ch: number, args: object): Buffer {
  const a = args as Partial<QueueDeleteOkArgs>;
  const size = 16;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.QueueDeleteOk, 7);
  let o = 11;
  b.writeUInt32BE(a.messageCount ?? 0, o);
  o += 4;
  b[o] = FRAME_END;
  return b;
}

function encodeQueueUnbind(ch: number, args: object): Buffer {
  const a = args as Partial<QueueUnbindArgs>;
  const v1 = a.queue ?? '';
  const n1 = shortstrLength(v1, 'queue.unbind queue');
  const v2 = a.exchange ?? '';
  const n2 = shortstrLength(v2, 'queue.unbind exchange');
  const v3 = a.routingKey ?? '';
  const n3 = shortstrLength(v3, 'queue.unbind routing-key');
  const v4 = a.arguments ?? EMPTY_TABLE;
  const n4 = encodedTableSize(v4);
  const size = 17 + n1 + n2 + n3 + n4;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.QueueUnbind, 7);
  let o = 11;
  b.writeUInt16BE(a.ticket ?? 0, o);
  o += 2;
  o = writeShortstr(b, o, v1, n1);
  o = writeShortstr(b, o, v2, n2);
  o = writeShortstr(b, o, v3, n3);
  o = writeTable(b, o, v4);
  b[o] = FRAME_END;
  return b;
}

function encodeQueueUnbindOk(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.QueueUnbindOk, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeBasicQos(ch: number, args: object): Buffer {
  const a = args as Partial<BasicQosArgs>;
  const size = 19;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicQos, 7);
  let o = 11;
  b.writeUInt32BE(a.prefetchSize ?? 0, o);
  o += 4;
  b.writeUInt16BE(a.prefetchCount ?? 0, o);
  o += 2;
  b[o] = (a.global ? 1 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeBasicQosOk(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicQosOk, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeBasicConsume(ch: number, args: object): Buffer {
  const a = args as Partial<BasicConsumeArgs>;
  const v1 = a.queue ?? '';
  const n1 = shortstrLength(v1, 'basic.consume queue');
  const v2 = a.consumerTag ?? '';
  const n2 = shortstrLength(v2, 'basic.consume consumer-tag');
  const v7 = a.arguments ?? EMPTY_TABLE;
  const n7 = encodedTableSize(v7);
  const size = 17 + n1 + n2 + n7;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicConsume, 7);
  let o = 11;
  b.writeUInt16BE(a.ticket ?? 0, o);
  o += 2;
  o = writeShortstr(b, o, v1, n1);
  o = writeShortstr(b, o, v2, n2);
  b[o] = (a.noLocal ? 1 : 0) | (a.noAck ? 2 : 0) | (a.exclusive ? 4 : 0) | (a.noWait ? 8 : 0);
  o += 1;
  o = writeTable(b, o, v7);
  b[o] = FRAME_END;
  return b;
}

function encodeBasicConsumeOk(ch: number, args: object): Buffer {
  const a = args as Partial<BasicConsumeOkArgs>;
  const v0 = a.consumerTag ?? '';
  const n0 = shortstrLength(v0, 'basic.consume-ok consumer-tag');
  const size = 13 + n0;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicConsumeOk, 7);
  let o = 11;
  o = writeShortstr(b, o, v0, n0);
  b[o] = FRAME_END;
  return b;
}

function encodeBasicCancel(ch: number, args: object): Buffer {
  const a = args as Partial<BasicCancelArgs>;
  const v0 = a.consumerTag ?? '';
  const n0 = shortstrLength(v0, 'basic.cancel consumer-tag');
  const size = 14 + n0;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicCancel, 7);
  let o = 11;
  o = writeShortstr(b, o, v0, n0);
  b[o] = (a.noWait ? 1 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeBasicCancelOk(ch: number, args: object): Buffer {
  const a = args as Partial<BasicCancelOkArgs>;
  const v0 = a.consumerTag ?? '';
  const n0 = shortstrLength(v0, 'basic.cancel-ok consumer-tag');
  const size = 13 + n0;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicCancelOk, 7);
  let o = 11;
  o = writeShortstr(b, o, v0, n0);
  b[o] = FRAME_END;
  return b;
}

function encodeBasicPublish(ch: number, args: object): Buffer {
  const a = args as Partial<BasicPublishArgs>;
  const v1 = a.exchange ?? '';
  const n1 = shortstrLength(v1, 'basic.publish exchange');
  const v2 = a.routingKey ?? '';
  const n2 = shortstrLength(v2, 'basic.publish routing-key');
  const size = 17 + n1 + n2;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicPublish, 7);
  let o = 11;
  b.writeUInt16BE(a.ticket ?? 0, o);
  o += 2;
  o = writeShortstr(b, o, v1, n1);
  o = writeShortstr(b, o, v2, n2);
  b[o] = (a.mandatory ? 1 : 0) | (a.immediate ? 2 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeBasicReturn(ch: number, args: object): Buffer {
  const a = args as Partial<BasicReturnArgs>;
  const v1 = truncateShortstr(a.replyText ?? '');
  const n1 = shortstrLength(v1, 'basic.return reply-text');
  const v2 = a.exchange ?? '';
  const n2 = shortstrLength(v2, 'basic.return exchange');
  const v3 = a.routingKey ?? '';
  const n3 = shortstrLength(v3, 'basic.return routing-key');
  const size = 17 + n1 + n2 + n3;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicReturn, 7);
  let o = 11;
  b.writeUInt16BE(a.replyCode ?? 0, o);
  o += 2;
  o = writeShortstr(b, o, v1, n1);
  o = writeShortstr(b, o, v2, n2);
  o = writeShortstr(b, o, v3, n3);
  b[o] = FRAME_END;
  return b;
}

function encodeBasicDeliver(ch: number, args: object): Buffer {
  const a = args as Partial<BasicDeliverArgs>;
  const v0 = a.consumerTag ?? '';
  const n0 = shortstrLength(v0, 'basic.deliver consumer-tag');
  const v3 = a.exchange ?? '';
  const n3 = shortstrLength(v3, 'basic.deliver exchange');
  const v4 = a.routingKey ?? '';
  const n4 = shortstrLength(v4, 'basic.deliver routing-key');
  const size = 24 + n0 + n3 + n4;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicDeliver, 7);
  let o = 11;
  o = writeShortstr(b, o, v0, n0);
  writeLonglong(b, o, a.deliveryTag ?? 0);
  o += 8;
  b[o] = (a.redelivered ? 1 : 0);
  o += 1;
  o = writeShortstr(b, o, v3, n3);
  o = writeShortstr(b, o, v4, n4);
  b[o] = FRAME_END;
  return b;
}

function encodeBasicGet(ch: number, args: object): Buffer {
  const a = args as Partial<BasicGetArgs>;
  const v1 = a.queue ?? '';
  const n1 = shortstrLength(v1, 'basic.get queue');
  const size = 16 + n1;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicGet, 7);
  let o = 11;
  b.writeUInt16BE(a.ticket ?? 0, o);
  o += 2;
  o = writeShortstr(b, o, v1, n1);
  b[o] = (a.noAck ? 1 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeBasicGetOk(ch: number, args: object): Buffer {
  const a = args as Partial<BasicGetOkArgs>;
  const v2 = a.exchange ?? '';
  const n2 = shortstrLength(v2, 'basic.get-ok exchange');
  const v3 = a.routingKey ?? '';
  const n3 = shortstrLength(v3, 'basic.get-ok routing-key');
  const size = 27 + n2 + n3;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicGetOk, 7);
  let o = 11;
  writeLonglong(b, o, a.deliveryTag ?? 0);
  o += 8;
  b[o] = (a.redelivered ? 1 : 0);
  o += 1;
  o = writeShortstr(b, o, v2, n2);
  o = writeShortstr(b, o, v3, n3);
  b.writeUInt32BE(a.messageCount ?? 0, o);
  o += 4;
  b[o] = FRAME_END;
  return b;
}

function encodeBasicGetEmpty(ch: number, args: object): Buffer {
  const a = args as Partial<BasicGetEmptyArgs>;
  const v0 = a.clusterId ?? '';
  const n0 = shortstrLength(v0, 'basic.get-empty cluster-id');
  const size = 13 + n0;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicGetEmpty, 7);
  let o = 11;
  o = writeShortstr(b, o, v0, n0);
  b[o] = FRAME_END;
  return b;
}

function encodeBasicAck(ch: number, args: object): Buffer {
  const a = args as Partial<BasicAckArgs>;
  const size = 21;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicAck, 7);
  let o = 11;
  writeLonglong(b, o, a.deliveryTag ?? 0);
  o += 8;
  b[o] = (a.multiple ? 1 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeBasicReject(ch: number, args: object): Buffer {
  const a = args as Partial<BasicRejectArgs>;
  const size = 21;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicReject, 7);
  let o = 11;
  writeLonglong(b, o, a.deliveryTag ?? 0);
  o += 8;
  b[o] = (a.requeue ? 1 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeBasicRecoverAsync(ch: number, args: object): Buffer {
  const a = args as Partial<BasicRecoverAsyncArgs>;
  const size = 13;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicRecoverAsync, 7);
  let o = 11;
  b[o] = (a.requeue ? 1 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeBasicRecover(ch: number, args: object): Buffer {
  const a = args as Partial<BasicRecoverArgs>;
  const size = 13;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicRecover, 7);
  let o = 11;
  b[o] = (a.requeue ? 1 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeBasicRecoverOk(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicRecoverOk, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeBasicNack(ch: number, args: object): Buffer {
  const a = args as Partial<BasicNackArgs>;
  const size = 21;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.BasicNack, 7);
  let o = 11;
  writeLonglong(b, o, a.deliveryTag ?? 0);
  o += 8;
  b[o] = (a.multiple ? 1 : 0) | (a.requeue ? 2 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeConfirmSelect(ch: number, args: object): Buffer {
  const a = args as Partial<ConfirmSelectArgs>;
  const size = 13;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConfirmSelect, 7);
  let o = 11;
  b[o] = (a.noWait ? 1 : 0);
  o += 1;
  b[o] = FRAME_END;
  return b;
}

function encodeConfirmSelectOk(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.ConfirmSelectOk, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeTxSelect(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.TxSelect, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeTxSelectOk(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.TxSelectOk, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeTxCommit(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.TxCommit, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeTxCommitOk(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.TxCommitOk, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeTxRollback(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.TxRollback, 7);
  b[11] = FRAME_END;
  return b;
}

function encodeTxRollbackOk(ch: number, _args: object): Buffer {
  const size = 12;
  const b = Buffer.allocUnsafe(size);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(ch, 1);
  b.writeUInt32BE(size - 8, 3);
  b.writeUInt32BE(MethodId.TxRollbackOk, 7);
  b[11] = FRAME_END;
  return b;
}

/** Arguments accepted by encodeMethodFrame: checked against the method for literal ids, any object otherwise. */
export type EncodeArgs<K extends number> = K extends keyof MethodArgsById ? Partial<MethodArgsById[K]> : object;

/**
 * Encodes a whole method frame: type 1, channel, size, class and method ids, arguments, frame-end.
 * Throws UnknownMethodError for an unknown id, RangeError for an out-of-range value or a shortstr over 255 bytes
 * (reply-text is truncated to 255 bytes instead).
 */
export function encodeMethodFrame<K extends number>(channel: number, id: K, args: EncodeArgs<K>): Buffer {
  const a = args as object;
  switch (id as number) {
    case MethodId.ConnectionStart:
      return encodeConnectionStart(channel, a);
    case MethodId.ConnectionStartOk:
      return encodeConnectionStartOk(channel, a);
    case MethodId.ConnectionSecure:
      return encodeConnectionSecure(channel, a);
    case MethodId.ConnectionSecureOk:
      return encodeConnectionSecureOk(channel, a);
    case MethodId.ConnectionTune:
      return encodeConnectionTune(channel, a);
    case MethodId.ConnectionTuneOk:
      return encodeConnectionTuneOk(channel, a);
    case MethodId.ConnectionOpen:
      return encodeConnectionOpen(channel, a);
    case MethodId.ConnectionOpenOk:
      return encodeConnectionOpenOk(channel, a);
    case MethodId.ConnectionClose:
      return encodeConnectionClose(channel, a);
    case MethodId.ConnectionCloseOk:
      return encodeConnectionCloseOk(channel, a);
    case MethodId.ConnectionBlocked:
      return encodeConnectionBlocked(channel, a);
    case MethodId.ConnectionUnblocked:
      return encodeConnectionUnblocked(channel, a);
    case MethodId.ConnectionUpdateSecret:
      return encodeConnectionUpdateSecret(channel, a);
    case MethodId.ConnectionUpdateSecretOk:
      return encodeConnectionUpdateSecretOk(channel, a);
    case MethodId.ChannelOpen:
      return encodeChannelOpen(channel, a);
    case MethodId.ChannelOpenOk:
      return encodeChannelOpenOk(channel, a);
    case MethodId.ChannelFlow:
      return encodeChannelFlow(channel, a);
    case MethodId.ChannelFlowOk:
      return encodeChannelFlowOk(channel, a);
    case MethodId.ChannelClose:
      return encodeChannelClose(channel, a);
    case MethodId.ChannelCloseOk:
      return encodeChannelCloseOk(channel, a);
    case MethodId.ExchangeDeclare:
      return encodeExchangeDeclare(channel, a);
    case MethodId.ExchangeDeclareOk:
      return encodeExchangeDeclareOk(channel, a);
    case MethodId.ExchangeDelete:
      return encodeExchangeDelete(channel, a);
    case MethodId.ExchangeDeleteOk:
      return encodeExchangeDeleteOk(channel, a);
    case MethodId.ExchangeBind:
      return encodeExchangeBind(channel, a);
    case MethodId.ExchangeBindOk:
      return encodeExchangeBindOk(channel, a);
    case MethodId.ExchangeUnbind:
      return encodeExchangeUnbind(channel, a);
    case MethodId.ExchangeUnbindOk:
      return encodeExchangeUnbindOk(channel, a);
    case MethodId.QueueDeclare:
      return encodeQueueDeclare(channel, a);
    case MethodId.QueueDeclareOk:
      return encodeQueueDeclareOk(channel, a);
    case MethodId.QueueBind:
      return encodeQueueBind(channel, a);
    case MethodId.QueueBindOk:
      return encodeQueueBindOk(channel, a);
    case MethodId.QueuePurge:
      return encodeQueuePurge(channel, a);
    case MethodId.QueuePurgeOk:
      return encodeQueuePurgeOk(channel, a);
    case MethodId.QueueDelete:
      return encodeQueueDelete(channel, a);
    case MethodId.QueueDeleteOk:
      return encodeQueueDeleteOk(channel, a);
    case MethodId.QueueUnbind:
      return encodeQueueUnbind(channel, a);
    case MethodId.QueueUnbindOk:
      return encodeQueueUnbindOk(channel, a);
    case MethodId.BasicQos:
      return encodeBasicQos(channel, a);
    case MethodId.BasicQosOk:
      return encodeBasicQosOk(channel, a);
    case MethodId.BasicConsume:
      return encodeBasicConsume(channel, a);
    case MethodId.BasicConsumeOk:
      return encodeBasicConsumeOk(channel, a);
    case MethodId.BasicCancel:
      return encodeBasicCancel(channel, a);
    case MethodId.BasicCancelOk:
      return encodeBasicCancelOk(channel, a);
    case MethodId.BasicPublish:
      return encodeBasicPublish(channel, a);
    case MethodId.BasicReturn:
      return encodeBasicReturn(channel, a);
    case MethodId.BasicDeliver:
      return encodeBasicDeliver(channel, a);
    case MethodId.BasicGet:
      return encodeBasicGet(channel, a);
    case MethodId.BasicGetOk:
      return encodeBasicGetOk(channel, a);
    case MethodId.BasicGetEmpty:
      return encodeBasicGetEmpty(channel, a);
    case MethodId.BasicAck:
      return encodeBasicAck(channel, a);
    case MethodId.BasicReject:
      return encodeBasicReject(channel, a);
    case MethodId.BasicRecoverAsync:
      return encodeBasicRecoverAsync(channel, a);
    case MethodId.BasicRecover:
      return encodeBasicRecover(channel, a);
    case MethodId.BasicRecoverOk:
      return encodeBasicRecoverOk(channel, a);
    case MethodId.BasicNack:
      return encodeBasicNack(channel, a);
    case MethodId.ConfirmSelect:
      return encodeConfirmSelect(channel, a);
    case MethodId.ConfirmSelectOk:
      return encodeConfirmSelectOk(channel, a);
    case MethodId.TxSelect:
      return encodeTxSelect(channel, a);
    case MethodId.TxSelectOk:
      return encodeTxSelectOk(channel, a);
    case MethodId.TxCommit:
      return encodeTxCommit(channel, a);
    case MethodId.TxCommitOk:
      return encodeTxCommitOk(channel, a);
    case MethodId.TxRollback:
      return encodeTxRollback(channel, a);
    case MethodId.TxRollbackOk:
      return encodeTxRollbackOk(channel, a);
    default:
      throw new UnknownMethodError(id >>> 16, id & 0xffff);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Content header properties.
// ---------------------------------------------------------------------------------------------------------

/** The basic class's property-flag bits, by property (the first property is bit 15). */
export const BasicPropertyFlag = {
  ContentType: 0x8000,
  ContentEncoding: 0x4000,
  Headers: 0x2000,
  DeliveryMode: 0x1000,
  Priority: 0x0800,
  CorrelationId: 0x0400,
  ReplyTo: 0x0200,
  Expiration: 0x0100,
  MessageId: 0x0080,
  Timestamp: 0x0040,
  Type: 0x0020,
  UserId: 0x0010,
  AppId: 0x0008,
  ClusterId: 0x0004,
} as const;

/** Content header properties of the basic class; absent properties are undefined. */
export interface BasicProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: FieldTable;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  timestamp?: number /* seconds since the epoch */;
  type?: string;
  userId?: string;
  appId?: string;
  clusterId?: string;
}

/** Decodes property flags and the property list; offset points at the first property-flags word. */
export function decodeBasicProperties(b: Buffer, o: number, e: number): BasicProperties {
  if (e > b.length) e = b.length;
  need(o, 2, e, 'basic properties');
  const flags = b.readUInt16BE(o);
  o += 2;
  // Continuation words (bit 0 set) would flag properties this class does not define: skip them.
  for (let more = flags & 1; more !== 0; ) {
    need(o, 2, e, 'basic properties');
    more = b.readUInt16BE(o) & 1;
    o += 2;
  }
  let v0: string | undefined;
  let v1: string | undefined;
  let v2: FieldTable | undefined;
  let v3: number | undefined;
  let v4: number | undefined;
  let v5: string | undefined;
  let v6: string | undefined;
  let v7: string | undefined;
  let v8: string | undefined;
  let v9: number | undefined;
  let v10: string | undefined;
  let v11: string | undefined;
  let v12: string | undefined;
  let v13: string | undefined;
  if (flags !== 0) {
    if ((flags & 0x8000) !== 0) {
      v0 = readPropertyShortstr(b, o, e, 'basic properties');
      o += 1 + b[o]!;
    }
    if ((flags & 0x4000) !== 0) {
      v1 = readPropertyShortstr(b, o, e, 'basic properties');
      o += 1 + b[o]!;
    }
    if ((flags & 0x2000) !== 0) {
      v2 = decodeTableArg(b, o, e, 'basic properties');
      o = skipLong(b, o);
    }
    if ((flags & 0x1000) !== 0) {
      need(o, 1, e, 'basic properties');
      v3 = b[o]!;
      o += 1;
    }
    if ((flags & 0x0800) !== 0) {
      need(o, 1, e, 'basic properties');
      v4 = b[o]!;
      o += 1;
    }
    if ((flags & 0x0400) !== 0) {
      v5 = readPropertyShortstr(b, o, e, 'basic properties');
      o += 1 + b[o]!;
    }
    if ((flags & 0x0200) !== 0) {
      v6 = readPropertyShortstr(b, o, e, 'basic properties');
      o += 1 + b[o]!;
    }
    if ((flags & 0x0100) !== 0) {
      v7 = readPropertyShortstr(b, o, e, 'basic properties');
      o += 1 + b[o]!;
    }
    if ((flags & 0x0080) !== 0) {
      v8 = readPropertyShortstr(b, o, e, 'basic properties');
      o += 1 + b[o]!;
    }
    if ((flags & 0x0040) !== 0) {
      need(o, 8, e, 'basic properties');
      v9 = readLonglong(b, o);
      o += 8;
    }
    if ((flags & 0x0020) !== 0) {
      v10 = readPropertyShortstr(b, o, e, 'basic properties');
      o += 1 + b[o]!;
    }
    if ((flags & 0x0010) !== 0) {
      v11 = readPropertyShortstr(b, o, e, 'basic properties');
      o += 1 + b[o]!;
    }
    if ((flags & 0x0008) !== 0) {
      v12 = readPropertyShortstr(b, o, e, 'basic properties');
      o += 1 + b[o]!;
    }
    if ((flags & 0x0004) !== 0) {
      v13 = readPropertyShortstr(b, o, e, 'basic properties');
      o += 1 + b[o]!;
    }
  }
  return {
    contentType: v0,
    contentEncoding: v1,
    headers: v2,
    deliveryMode: v3,
    priority: v4,
    correlationId: v5,
    replyTo: v6,
    expiration: v7,
    messageId: v8,
    timestamp: v9,
    type: v10,
    userId: v11,
    appId: v12,
    clusterId: v13,
  };
}

/** Encodes property flags and the property list (null and undefined properties are absent). */
export function encodeBasicProperties(props: BasicProperties): Buffer {
  let flags = 0;
  let size = 2;
  const v0 = props.contentType;
  let n0 = 0;
  if (v0 != null) {
    flags |= 0x8000;
    n0 = shortstrLength(v0, 'basic property content-type');
    size += 1 + n0;
  }
  const v1 = props.contentEncoding;
  let n1 = 0;
  if (v1 != null) {
    flags |= 0x4000;
    n1 = shortstrLength(v1, 'basic property content-encoding');
    size += 1 + n1;
  }
  const v2 = props.headers;
  let n2 = 0;
  if (v2 != null) {
    flags |= 0x2000;
    n2 = encodedTableSize(v2);
    size += n2;
  }
  const v3 = props.deliveryMode;
  if (v3 != null) {
    flags |= 0x1000;
    size += 1;
  }
  const v4 = props.priority;
  if (v4 != null) {
    flags |= 0x0800;
    size += 1;
  }
  const v5 = props.correlationId;
  let n5 = 0;
  if (v5 != null) {
    flags |= 0x0400;
    n5 = shortstrLength(v5, 'basic property correlation-id');
    size += 1 + n5;
  }
  const v6 = props.replyTo;
  let n6 = 0;
  if (v6 != null) {
    flags |= 0x0200;
    n6 = shortstrLength(v6, 'basic property reply-to');
    size += 1 + n6;
  }
  const v7 = props.expiration;
  let n7 = 0;
  if (v7 != null) {
    flags |= 0x0100;
    n7 = shortstrLength(v7, 'basic property expiration');
    size += 1 + n7;
  }
  const v8 = props.messageId;
  let n8 = 0;
  if (v8 != null) {
    flags |= 0x0080;
    n8 = shortstrLength(v8, 'basic property message-id');
    size += 1 + n8;
  }
  const v9 = props.timestamp;
  if (v9 != null) {
    flags |= 0x0040;
    size += 8;
  }
  const v10 = props.type;
  let n10 = 0;
  if (v10 != null) {
    flags |= 0x0020;
    n10 = shortstrLength(v10, 'basic property type');
    size += 1 + n10;
  }
  const v11 = props.userId;
  let n11 = 0;
  if (v11 != null) {
    flags |= 0x0010;
    n11 = shortstrLength(v11, 'basic property user-id');
    size += 1 + n11;
  }
  const v12 = props.appId;
  let n12 = 0;
  if (v12 != null) {
    flags |= 0x0008;
    n12 = shortstrLength(v12, 'basic property app-id');
    size += 1 + n12;
  }
  const v13 = props.clusterId;
  let n13 = 0;
  if (v13 != null) {
    flags |= 0x0004;
    n13 = shortstrLength(v13, 'basic property cluster-id');
    size += 1 + n13;
  }
  const b = Buffer.allocUnsafe(size);
  b.writeUInt16BE(flags, 0);
  let o = 2;
  if (v0 != null) o = writeShortstr(b, o, v0, n0);
  if (v1 != null) o = writeShortstr(b, o, v1, n1);
  if (v2 != null) o = writeTable(b, o, v2);
  if (v3 != null) {
    b.writeUInt8(v3, o);
    o += 1;
  }
  if (v4 != null) {
    b.writeUInt8(v4, o);
    o += 1;
  }
  if (v5 != null) o = writeShortstr(b, o, v5, n5);
  if (v6 != null) o = writeShortstr(b, o, v6, n6);
  if (v7 != null) o = writeShortstr(b, o, v7, n7);
  if (v8 != null) o = writeShortstr(b, o, v8, n8);
  if (v9 != null) {
    writeLonglong(b, o, v9);
    o += 8;
  }
  if (v10 != null) o = writeShortstr(b, o, v10, n10);
  if (v11 != null) o = writeShortstr(b, o, v11, n11);
  if (v12 != null) o = writeShortstr(b, o, v12, n12);
  if (v13 != null) o = writeShortstr(b, o, v13, n13);
  return b;
}
