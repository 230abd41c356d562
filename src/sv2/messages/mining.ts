/** Mining protocol messages, both directions. Spec §4.2–4.3; message types 0x10–0x25. */
import {
  B0_32,
  B0_64K,
  B0_255,
  BOOL,
  F32,
  OPTION,
  SEQ0_64K,
  SEQ0_255,
  STR0_255,
  U16,
  U32,
  U64,
  U256,
} from '../codec/field-types.js';
import { defineMessage, type ValueOf } from '../codec/message.js';

/** The spec's maximum for extranonce_prefix + extranonce, the full extended extranonce (SRI's MAX_EXTRANONCE_LEN). */
export const MAX_EXTRANONCE_LEN = 32;

export const OpenStandardMiningChannel = defineMessage({
  name: 'OpenStandardMiningChannel',
  msgType: 0x10,
  channelMsg: false,
  fields: [
    ['request_id', U32],
    ['user_identity', STR0_255],
    ['nominal_hash_rate', F32],
    ['max_target', U256],
  ],
});
export type OpenStandardMiningChannel = ValueOf<typeof OpenStandardMiningChannel>;

export const OpenStandardMiningChannelSuccess = defineMessage({
  name: 'OpenStandardMiningChannel.Success',
  msgType: 0x11,
  channelMsg: false,
  fields: [
    ['request_id', U32],
    ['channel_id', U32],
    ['target', U256],
    ['extranonce_prefix', B0_32],
    ['group_channel_id', U32],
  ],
});
export type OpenStandardMiningChannelSuccess = ValueOf<typeof OpenStandardMiningChannelSuccess>;

export const OpenMiningChannelError = defineMessage({
  name: 'OpenMiningChannel.Error',
  msgType: 0x12,
  channelMsg: false,
  fields: [
    ['request_id', U32],
    ['error_code', STR0_255],
  ],
});
export type OpenMiningChannelError = ValueOf<typeof OpenMiningChannelError>;

export const OpenExtendedMiningChannel = defineMessage({
  name: 'OpenExtendedMiningChannel',
  msgType: 0x13,
  channelMsg: false,
  fields: [
    ['request_id', U32],
    ['user_identity', STR0_255],
    ['nominal_hash_rate', F32],
    ['max_target', U256],
    ['min_extranonce_size', U16],
  ],
});
export type OpenExtendedMiningChannel = ValueOf<typeof OpenExtendedMiningChannel>;

export const OpenExtendedMiningChannelSuccess = defineMessage({
  name: 'OpenExtendedMiningChannel.Success',
  msgType: 0x14,
  channelMsg: false,
  fields: [
    ['request_id', U32],
    ['channel_id', U32],
    ['target', U256],
    // extranonce_size comes before the prefix here (unlike the order one might guess from the standard Success).
    ['extranonce_size', U16],
    ['extranonce_prefix', B0_32],
    ['group_channel_id', U32],
  ],
});
export type OpenExtendedMiningChannelSuccess = ValueOf<typeof OpenExtendedMiningChannelSuccess>;

export const NewMiningJob = defineMessage({
  name: 'NewMiningJob',
  msgType: 0x15,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['job_id', U32],
    // Empty = a future job (waits for a SetNewPrevHash naming it); set = active now on the current prev hash.
    ['min_ntime', OPTION(U32)],
    ['version', U32],
    ['merkle_root', U256],
  ],
});
export type NewMiningJob = ValueOf<typeof NewMiningJob>;

export const UpdateChannel = defineMessage({
  name: 'UpdateChannel',
  msgType: 0x16,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['nominal_hash_rate', F32],
    ['maximum_target', U256],
  ],
});
export type UpdateChannel = ValueOf<typeof UpdateChannel>;

export const UpdateChannelError = defineMessage({
  name: 'UpdateChannel.Error',
  msgType: 0x17,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['error_code', STR0_255],
  ],
});
export type UpdateChannelError = ValueOf<typeof UpdateChannelError>;

export const CloseChannel = defineMessage({
  name: 'CloseChannel',
  msgType: 0x18,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['reason_code', STR0_255],
  ],
});
export type CloseChannel = ValueOf<typeof CloseChannel>;

export const SetExtranoncePrefix = defineMessage({
  name: 'SetExtranoncePrefix',
  msgType: 0x19,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['extranonce_prefix', B0_32],
  ],
});
export type SetExtranoncePrefix = ValueOf<typeof SetExtranoncePrefix>;

export const SubmitSharesStandard = defineMessage({
  name: 'SubmitSharesStandard',
  msgType: 0x1a,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['sequence_number', U32],
    ['job_id', U32],
    ['nonce', U32],
    ['ntime', U32],
    ['version', U32],
  ],
});
export type SubmitSharesStandard = ValueOf<typeof SubmitSharesStandard>;

export const SubmitSharesExtended = defineMessage({
  name: 'SubmitSharesExtended',
  msgType: 0x1b,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['sequence_number', U32],
    ['job_id', U32],
    ['nonce', U32],
    ['ntime', U32],
    ['version', U32],
    ['extranonce', B0_32],
  ],
});
export type SubmitSharesExtended = ValueOf<typeof SubmitSharesExtended>;

export const SubmitSharesSuccess = defineMessage({
  name: 'SubmitShares.Success',
  msgType: 0x1c,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['last_sequence_number', U32],
    ['new_submits_accepted_count', U32],
    ['new_shares_sum', U64],
  ],
});
export type SubmitSharesSuccess = ValueOf<typeof SubmitSharesSuccess>;

export const SubmitSharesError = defineMessage({
  name: 'SubmitShares.Error',
  msgType: 0x1d,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['sequence_number', U32],
    ['error_code', STR0_255],
  ],
});
export type SubmitSharesError = ValueOf<typeof SubmitSharesError>;

export const NewExtendedMiningJob = defineMessage({
  name: 'NewExtendedMiningJob',
  msgType: 0x1f,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['job_id', U32],
    ['min_ntime', OPTION(U32)],
    ['version', U32],
    ['version_rolling_allowed', BOOL],
    ['merkle_path', SEQ0_255(U256)],
    ['coinbase_tx_prefix', B0_64K],
    ['coinbase_tx_suffix', B0_64K],
  ],
});
export type NewExtendedMiningJob = ValueOf<typeof NewExtendedMiningJob>;

export const SetNewPrevHash = defineMessage({
  name: 'SetNewPrevHash',
  msgType: 0x20,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['job_id', U32],
    ['prev_hash', U256],
    ['min_ntime', U32],
    ['nbits', U32],
  ],
});
export type SetNewPrevHash = ValueOf<typeof SetNewPrevHash>;

export const SetTarget = defineMessage({
  name: 'SetTarget',
  msgType: 0x21,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['maximum_target', U256],
  ],
});
export type SetTarget = ValueOf<typeof SetTarget>;

export const SetCustomMiningJob = defineMessage({
  name: 'SetCustomMiningJob',
  msgType: 0x22,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['request_id', U32],
    ['mining_job_token', B0_255],
    ['version', U32],
    ['prev_hash', U256],
    ['min_ntime', U32],
    ['nbits', U32],
    ['coinbase_tx_version', U32],
    ['coinbase_prefix', B0_255],
    ['coinbase_tx_input_nSequence', U32],
    ['coinbase_tx_outputs', B0_64K],
    ['coinbase_tx_locktime', U32],
    ['merkle_path', SEQ0_255(U256)],
  ],
});
export type SetCustomMiningJob = ValueOf<typeof SetCustomMiningJob>;

export const SetCustomMiningJobSuccess = defineMessage({
  name: 'SetCustomMiningJob.Success',
  msgType: 0x23,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['request_id', U32],
    ['job_id', U32],
  ],
});
export type SetCustomMiningJobSuccess = ValueOf<typeof SetCustomMiningJobSuccess>;

export const SetCustomMiningJobError = defineMessage({
  name: 'SetCustomMiningJob.Error',
  msgType: 0x24,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['request_id', U32],
    ['error_code', STR0_255],
  ],
});
export type SetCustomMiningJobError = ValueOf<typeof SetCustomMiningJobError>;

export const SetGroupChannel = defineMessage({
  name: 'SetGroupChannel',
  msgType: 0x25,
  channelMsg: false,
  fields: [
    ['group_channel_id', U32],
    ['channel_ids', SEQ0_64K(U32)],
  ],
});
export type SetGroupChannel = ValueOf<typeof SetGroupChannel>;

export const MINING_MESSAGES = [
  OpenStandardMiningChannel,
  OpenStandardMiningChannelSuccess,
  OpenMiningChannelError,
  OpenExtendedMiningChannel,
  OpenExtendedMiningChannelSuccess,
  NewMiningJob,
  UpdateChannel,
  UpdateChannelError,
  CloseChannel,
  SetExtranoncePrefix,
  SubmitSharesStandard,
  SubmitSharesExtended,
  SubmitSharesSuccess,
  SubmitSharesError,
  NewExtendedMiningJob,
  SetNewPrevHash,
  SetTarget,
  SetCustomMiningJob,
  SetCustomMiningJobSuccess,
  SetCustomMiningJobError,
  SetGroupChannel,
] as const;
