/** Common protocol messages (every sub-protocol starts with these). Spec §3; message types 0x00–0x04. */
import { STR0_255, U8, U16, U32 } from '../codec/field-types.js';
import { defineMessage, type ValueOf } from '../codec/message.js';

/** `protocol` values of SetupConnection. */
export const PROTOCOL_MINING = 0;
export const PROTOCOL_JOB_DECLARATION = 1;
export const PROTOCOL_TEMPLATE_DISTRIBUTION = 2;

/** The only protocol version that exists. */
export const SV2_PROTOCOL_VERSION = 2;

export const SetupConnection = defineMessage({
  name: 'SetupConnection',
  msgType: 0x00,
  channelMsg: false,
  fields: [
    ['protocol', U8],
    ['min_version', U16],
    ['max_version', U16],
    ['flags', U32],
    ['endpoint_host', STR0_255],
    ['endpoint_port', U16],
    ['vendor', STR0_255],
    ['hardware_version', STR0_255],
    ['firmware', STR0_255],
    ['device_id', STR0_255],
  ],
});
export type SetupConnection = ValueOf<typeof SetupConnection>;

export const SetupConnectionSuccess = defineMessage({
  name: 'SetupConnection.Success',
  msgType: 0x01,
  channelMsg: false,
  fields: [
    ['used_version', U16],
    ['flags', U32],
  ],
});
export type SetupConnectionSuccess = ValueOf<typeof SetupConnectionSuccess>;

export const SetupConnectionError = defineMessage({
  name: 'SetupConnection.Error',
  msgType: 0x02,
  channelMsg: false,
  fields: [
    ['flags', U32],
    ['error_code', STR0_255],
  ],
});
export type SetupConnectionError = ValueOf<typeof SetupConnectionError>;

export const ChannelEndpointChanged = defineMessage({
  name: 'ChannelEndpointChanged',
  msgType: 0x03,
  channelMsg: true,
  fields: [['channel_id', U32]],
});
export type ChannelEndpointChanged = ValueOf<typeof ChannelEndpointChanged>;

export const Reconnect = defineMessage({
  name: 'Reconnect',
  msgType: 0x04,
  channelMsg: false,
  fields: [
    ['new_host', STR0_255],
    ['new_port', U16],
  ],
});
export type Reconnect = ValueOf<typeof Reconnect>;

export const COMMON_MESSAGES = [
  SetupConnection,
  SetupConnectionSuccess,
  SetupConnectionError,
  ChannelEndpointChanged,
  Reconnect,
] as const;
