/**
 * Template Distribution protocol messages (spec §5.3; SetupConnection protocol 2). Defined for inspection and
 * the future job-declaration client; the device never receives them.
 */
import {
  B0_16M,
  B0_64K,
  B0_255,
  BOOL,
  SEQ0_64K,
  SEQ0_255,
  STR0_255,
  U16,
  U32,
  U64,
  U256,
} from '../codec/field-types.js';
import { defineMessage, type ValueOf } from '../codec/message.js';

export const CoinbaseOutputConstraints = defineMessage({
  name: 'CoinbaseOutputConstraints',
  msgType: 0x70,
  channelMsg: false,
  fields: [
    ['coinbase_output_max_additional_size', U32],
    ['coinbase_output_max_additional_sigops', U16],
  ],
});
export type CoinbaseOutputConstraints = ValueOf<typeof CoinbaseOutputConstraints>;

export const NewTemplate = defineMessage({
  name: 'NewTemplate',
  msgType: 0x71,
  channelMsg: false,
  fields: [
    ['template_id', U64],
    ['future_template', BOOL],
    ['version', U32],
    ['coinbase_tx_version', U32],
    ['coinbase_prefix', B0_255],
    ['coinbase_tx_input_sequence', U32],
    ['coinbase_tx_value_remaining', U64],
    ['coinbase_tx_outputs_count', U32],
    ['coinbase_tx_outputs', B0_64K],
    ['coinbase_tx_locktime', U32],
    ['merkle_path', SEQ0_255(U256)],
  ],
});
export type NewTemplate = ValueOf<typeof NewTemplate>;

/** Template Distribution's SetNewPrevHash (0x72): a different message from the mining one (0x20). */
export const TdSetNewPrevHash = defineMessage({
  name: 'SetNewPrevHash (Template Distribution)',
  msgType: 0x72,
  channelMsg: false,
  fields: [
    ['template_id', U64],
    ['prev_hash', U256],
    ['header_timestamp', U32],
    ['nbits', U32],
    ['target', U256],
  ],
});
export type TdSetNewPrevHash = ValueOf<typeof TdSetNewPrevHash>;

export const RequestTransactionData = defineMessage({
  name: 'RequestTransactionData',
  msgType: 0x73,
  channelMsg: false,
  fields: [['template_id', U64]],
});
export type RequestTransactionData = ValueOf<typeof RequestTransactionData>;

export const RequestTransactionDataSuccess = defineMessage({
  name: 'RequestTransactionData.Success',
  msgType: 0x74,
  channelMsg: false,
  fields: [
    ['template_id', U64],
    ['excess_data', B0_64K],
    ['transaction_list', SEQ0_64K(B0_16M)],
  ],
});
export type RequestTransactionDataSuccess = ValueOf<typeof RequestTransactionDataSuccess>;

export const RequestTransactionDataError = defineMessage({
  name: 'RequestTransactionData.Error',
  msgType: 0x75,
  channelMsg: false,
  fields: [
    ['template_id', U64],
    ['error_code', STR0_255],
  ],
});
export type RequestTransactionDataError = ValueOf<typeof RequestTransactionDataError>;

export const SubmitSolution = defineMessage({
  name: 'SubmitSolution',
  msgType: 0x76,
  channelMsg: false,
  fields: [
    ['template_id', U64],
    ['version', U32],
    ['header_timestamp', U32],
    ['header_nonce', U32],
    ['coinbase_tx', B0_64K],
  ],
});
export type SubmitSolution = ValueOf<typeof SubmitSolution>;

export const TEMPLATE_DISTRIBUTION_MESSAGES = [
  CoinbaseOutputConstraints,
  NewTemplate,
  TdSetNewPrevHash,
  RequestTransactionData,
  RequestTransactionDataSuccess,
  RequestTransactionDataError,
  SubmitSolution,
] as const;
