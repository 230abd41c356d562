/**
 * Job Declaration protocol messages (spec §5.2; SetupConnection protocol 1). hashaxe does not speak JD yet
 * (wave 3: the miner's own templates), but the codec knows every message so inspection and proxies work.
 */
import { B0_16M, B0_32, B0_64K, B0_255, SEQ0_64K, STR0_255, U16, U32, U256 } from '../codec/field-types.js';
import { defineMessage, type ValueOf } from '../codec/message.js';

export const AllocateMiningJobToken = defineMessage({
  name: 'AllocateMiningJobToken',
  msgType: 0x50,
  channelMsg: false,
  fields: [
    ['user_identifier', STR0_255],
    ['request_id', U32],
  ],
});
export type AllocateMiningJobToken = ValueOf<typeof AllocateMiningJobToken>;

export const AllocateMiningJobTokenSuccess = defineMessage({
  name: 'AllocateMiningJobToken.Success',
  msgType: 0x51,
  channelMsg: false,
  fields: [
    ['request_id', U32],
    ['mining_job_token', B0_255],
    // SRI calls it coinbase_outputs; same bytes (CompactSize-prefixed outputs the pool requires).
    ['coinbase_tx_outputs', B0_64K],
  ],
});
export type AllocateMiningJobTokenSuccess = ValueOf<typeof AllocateMiningJobTokenSuccess>;

export const ProvideMissingTransactions = defineMessage({
  name: 'ProvideMissingTransactions',
  msgType: 0x55,
  channelMsg: false,
  fields: [
    ['request_id', U32],
    ['unknown_tx_position_list', SEQ0_64K(U16)],
  ],
});
export type ProvideMissingTransactions = ValueOf<typeof ProvideMissingTransactions>;

export const ProvideMissingTransactionsSuccess = defineMessage({
  name: 'ProvideMissingTransactions.Success',
  msgType: 0x56,
  channelMsg: false,
  fields: [
    ['request_id', U32],
    ['transaction_list', SEQ0_64K(B0_16M)],
  ],
});
export type ProvideMissingTransactionsSuccess = ValueOf<typeof ProvideMissingTransactionsSuccess>;

export const DeclareMiningJob = defineMessage({
  name: 'DeclareMiningJob',
  msgType: 0x57,
  channelMsg: false,
  fields: [
    ['request_id', U32],
    ['mining_job_token', B0_255],
    ['version', U32],
    ['coinbase_tx_prefix', B0_64K],
    ['coinbase_tx_suffix', B0_64K],
    ['wtxid_list', SEQ0_64K(U256)],
    ['excess_data', B0_64K],
  ],
});
export type DeclareMiningJob = ValueOf<typeof DeclareMiningJob>;

export const DeclareMiningJobSuccess = defineMessage({
  name: 'DeclareMiningJob.Success',
  msgType: 0x58,
  channelMsg: false,
  fields: [
    ['request_id', U32],
    ['new_mining_job_token', B0_255],
  ],
});
export type DeclareMiningJobSuccess = ValueOf<typeof DeclareMiningJobSuccess>;

export const DeclareMiningJobError = defineMessage({
  name: 'DeclareMiningJob.Error',
  msgType: 0x59,
  channelMsg: false,
  fields: [
    ['request_id', U32],
    ['error_code', STR0_255],
    ['error_details', B0_64K],
  ],
});
export type DeclareMiningJobError = ValueOf<typeof DeclareMiningJobError>;

export const PushSolution = defineMessage({
  name: 'PushSolution',
  msgType: 0x60,
  channelMsg: false,
  fields: [
    ['extranonce', B0_32],
    ['prev_hash', U256],
    ['nonce', U32],
    ['ntime', U32],
    ['nbits', U32],
    ['version', U32],
  ],
});
export type PushSolution = ValueOf<typeof PushSolution>;

export const JOB_DECLARATION_MESSAGES = [
  AllocateMiningJobToken,
  AllocateMiningJobTokenSuccess,
  ProvideMissingTransactions,
  ProvideMissingTransactionsSuccess,
  DeclareMiningJob,
  DeclareMiningJobSuccess,
  DeclareMiningJobError,
  PushSolution,
] as const;
