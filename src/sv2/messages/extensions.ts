/** Extension 0x0001, extensions negotiation (spec §4.9). Frames carry extension_type 1. */
import { SEQ0_64K, U16 } from '../codec/field-types.js';
import { defineMessage, type ValueOf } from '../codec/message.js';

export const EXTENSION_NEGOTIATION = 0x0001;

export const RequestExtensions = defineMessage({
  name: 'RequestExtensions',
  extensionType: EXTENSION_NEGOTIATION,
  msgType: 0x00,
  channelMsg: false,
  fields: [
    ['request_id', U16],
    ['requested_extensions', SEQ0_64K(U16)],
  ],
});
export type RequestExtensions = ValueOf<typeof RequestExtensions>;

export const RequestExtensionsSuccess = defineMessage({
  name: 'RequestExtensions.Success',
  extensionType: EXTENSION_NEGOTIATION,
  msgType: 0x01,
  channelMsg: false,
  fields: [
    ['request_id', U16],
    ['supported_extensions', SEQ0_64K(U16)],
  ],
});
export type RequestExtensionsSuccess = ValueOf<typeof RequestExtensionsSuccess>;

export const RequestExtensionsError = defineMessage({
  name: 'RequestExtensions.Error',
  extensionType: EXTENSION_NEGOTIATION,
  msgType: 0x02,
  channelMsg: false,
  fields: [
    ['request_id', U16],
    ['unsupported_extensions', SEQ0_64K(U16)],
    ['required_extensions', SEQ0_64K(U16)],
  ],
});
export type RequestExtensionsError = ValueOf<typeof RequestExtensionsError>;

export const EXTENSION_MESSAGES = [RequestExtensions, RequestExtensionsSuccess, RequestExtensionsError] as const;
