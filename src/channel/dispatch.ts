import type { Channel } from './channel';
import { basicHandlers } from './handlers/basic';
import { channelHandlers } from './handlers/channel';
import { confirmHandlers } from './handlers/confirm';
import { exchangeHandlers } from './handlers/exchange';
import { queueHandlers } from './handlers/queue';
import { txHandlers } from './handlers/tx';

/** A handler for one client method on an open channel; throws AmqpError on failure. */
export type Handler<A = never> = (channel: Channel, args: A) => void;

export type HandlerTable = ReadonlyArray<readonly [number, Handler<never>]>;

/** Method id -> handler; one lookup per method frame. */
export const dispatchTable: ReadonlyMap<number, Handler<never>> = new Map<number, Handler<never>>([
  ...channelHandlers,
  ...exchangeHandlers,
  ...queueHandlers,
  ...basicHandlers,
  ...confirmHandlers,
  ...txHandlers,
]);
