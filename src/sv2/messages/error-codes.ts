/**
 * Error-code strings as the spec and SRI spell them. Codes are free text on the wire: a receiver logs codes it
 * does not know and carries on.
 */

export const SetupConnectionErrorCode = {
  unsupportedFeatureFlags: 'unsupported-feature-flags',
  unsupportedProtocol: 'unsupported-protocol',
  missingDeclareTxDataFlag: 'missing-declare-tx-data-flag',
  // Not in current SRI; older spec text used it for a min/max version range without 2.
  protocolVersionMismatch: 'protocol-version-mismatch',
} as const;

export const OpenChannelErrorCode = {
  unknownUser: 'unknown-user',
  invalidUserIdentity: 'invalid-user-identity',
  maxTargetOutOfRange: 'max-target-out-of-range',
  invalidNominalHashrate: 'invalid-nominal-hashrate',
  minExtranonceSizeTooLarge: 'min-extranonce-size-too-large',
  unsupportedMinExtranonceSize: 'unsupported-min-extranonce-size',
  standardChannelsNotSupportedForCustomWork: 'standard-channels-not-supported-for-custom-work',
  extendedChannelsNotSupportedForStandardJobs: 'extended-channels-not-supported-for-standard-jobs',
} as const;

export const UpdateChannelErrorCode = {
  invalidChannelId: 'invalid-channel-id',
  invalidNominalHashrate: 'invalid-nominal-hashrate',
} as const;

export const SubmitSharesErrorCode = {
  invalidChannelId: 'invalid-channel-id',
  staleShare: 'stale-share',
  invalidJobId: 'invalid-job-id',
  difficultyTooLow: 'difficulty-too-low',
  duplicateShare: 'duplicate-share',
  invalidShare: 'invalid-share',
  badExtranonceSize: 'bad-extranonce-size',
  versionRollingNotAllowed: 'version-rolling-not-allowed',
  invalidNonRollableVersionBit: 'invalid-non-rollable-version-bit',
  // hashaxe's pool: a share of the other channel kind (SRI answers invalid-channel-id), named for what it is.
  extendedShareOnStandardChannel: 'extended-share-on-standard-channel',
  standardShareOnExtendedChannel: 'standard-share-on-extended-channel',
} as const;

export type SubmitSharesErrorCode = (typeof SubmitSharesErrorCode)[keyof typeof SubmitSharesErrorCode];

export const SetCustomMiningJobErrorCode = {
  jdNotSupported: 'jd-not-supported',
  invalidChannelId: 'invalid-channel-id',
  invalidMiningJobToken: 'invalid-mining-job-token',
  jobNotYetValidated: 'job-not-yet-validated',
  staleChainTip: 'stale-chain-tip',
  invalidMinNtime: 'invalid-min-ntime',
  invalidNbits: 'invalid-nbits',
  invalidVersion: 'invalid-version',
  invalidCoinbaseTx: 'invalid-coinbase-tx',
  invalidCoinbaseTxVersion: 'invalid-coinbase-tx-version',
  invalidCoinbasePrefix: 'invalid-coinbase-prefix',
  invalidCoinbaseTxInputNSequence: 'invalid-coinbase-tx-input-n-sequence',
  invalidCoinbaseTxOutputs: 'invalid-coinbase-tx-outputs',
  invalidCoinbaseTxLocktime: 'invalid-coinbase-tx-locktime',
  invalidMerklePath: 'invalid-merkle-path',
} as const;

export const DeclareMiningJobErrorCode = {
  invalidMiningJobToken: 'invalid-mining-job-token',
  missingTxs: 'missing-txs',
  invalidCoinbaseTx: 'invalid-coinbase-tx',
  invalidCoinbaseTxInput: 'invalid-coinbase-tx-input',
  internalError: 'internal-error',
  staleChainTip: 'stale-chain-tip',
  invalidJob: 'invalid-job',
} as const;
