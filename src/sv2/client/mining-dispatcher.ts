/**
 * What the mining client does with each message a pool may send: a table from message type to the decoder and the
 * handler, instead of one long switch. Only core messages (extension 0) come here; the client drops the others.
 * A decoder throws Sv2ProtocolError for a malformed payload, which the client turns into closing the connection.
 */
import type { MessageDef } from '../codec/message.js';
import { ChannelEndpointChanged, Reconnect, SetupConnectionError, SetupConnectionSuccess } from '../messages/common.js';
import {
  CloseChannel,
  NewExtendedMiningJob,
  NewMiningJob,
  OpenExtendedMiningChannelSuccess,
  OpenMiningChannelError,
  OpenStandardMiningChannelSuccess,
  SetExtranoncePrefix,
  SetGroupChannel,
  SetNewPrevHash,
  SetTarget,
  SubmitSharesError,
  SubmitSharesSuccess,
  UpdateChannelError,
} from '../messages/mining.js';

type Handler<V> = (msg: V) => void;

/** One method per message a mining client acts on. */
export interface MiningClientHandlers {
  setupSuccess: Handler<SetupConnectionSuccess>;
  setupError: Handler<SetupConnectionError>;
  openStandardSuccess: Handler<OpenStandardMiningChannelSuccess>;
  openExtendedSuccess: Handler<OpenExtendedMiningChannelSuccess>;
  openError: Handler<OpenMiningChannelError>;
  newMiningJob: Handler<NewMiningJob>;
  newExtendedMiningJob: Handler<NewExtendedMiningJob>;
  setNewPrevHash: Handler<SetNewPrevHash>;
  setTarget: Handler<SetTarget>;
  submitSharesSuccess: Handler<SubmitSharesSuccess>;
  submitSharesError: Handler<SubmitSharesError>;
  setExtranoncePrefix: Handler<SetExtranoncePrefix>;
  setGroupChannel: Handler<SetGroupChannel>;
  closeChannel: Handler<CloseChannel>;
  updateChannelError: Handler<UpdateChannelError>;
  channelEndpointChanged: Handler<ChannelEndpointChanged>;
  reconnect: Handler<Reconnect>;
  /** A known message a pool has no business sending to a device (SetCustomMiningJob answers, JD/TD, …). */
  unexpected(msgType: number): void;
}

type Route = (payload: Uint8Array, h: MiningClientHandlers) => void;

function route<V, K extends keyof MiningClientHandlers>(def: MessageDef<V>, key: K): [number, Route] {
  return [def.msgType, (payload, h) => (h[key] as Handler<V>)(def.decode(payload))];
}

const ROUTES: ReadonlyMap<number, Route> = new Map([
  route(SetupConnectionSuccess, 'setupSuccess'),
  route(SetupConnectionError, 'setupError'),
  route(ChannelEndpointChanged, 'channelEndpointChanged'),
  route(Reconnect, 'reconnect'),
  route(OpenStandardMiningChannelSuccess, 'openStandardSuccess'),
  route(OpenExtendedMiningChannelSuccess, 'openExtendedSuccess'),
  route(OpenMiningChannelError, 'openError'),
  route(NewMiningJob, 'newMiningJob'),
  route(NewExtendedMiningJob, 'newExtendedMiningJob'),
  route(SetNewPrevHash, 'setNewPrevHash'),
  route(SetTarget, 'setTarget'),
  route(SubmitSharesSuccess, 'submitSharesSuccess'),
  route(SubmitSharesError, 'submitSharesError'),
  route(SetExtranoncePrefix, 'setExtranoncePrefix'),
  route(SetGroupChannel, 'setGroupChannel'),
  route(CloseChannel, 'closeChannel'),
  route(UpdateChannelError, 'updateChannelError'),
]);

/** Decodes a core message and hands it to its handler. Throws Sv2ProtocolError for a malformed payload. */
export function dispatchMiningMessage(msgType: number, payload: Uint8Array, handlers: MiningClientHandlers): void {
  const r = ROUTES.get(msgType);
  if (r === undefined) handlers.unexpected(msgType);
  else r(payload, handlers);
}
