/** BM13xx chip drivers: what the mining engine and the daemon import. Protocol details live in the files named. */

export {
  Bm13xxChain,
  type ChainInfo,
  type ChainOptions,
  type ChainStats,
  type ChipCounters,
  defaultAddresses,
  type RegisterReading,
} from './bm13xx-chain.js';
export {
  copyHashWordsReversed,
  decodeFullHeaderJob,
  encodeFullHeaderJob,
  FULL_JOB_BYTES,
  type FullHeaderJob,
} from './bm1366-job.js';
export { decodeMidstateJob, encodeMidstateJob, type MidstateJob, type MidstateJobLayout } from './bm1397-job.js';
export {
  BM1366,
  BM1368,
  BM1370,
  BM1397,
  CHIP_MODEL_NAMES,
  type ChipModel,
  type ChipModelName,
  chipModel,
  chipModelById,
  expectedHashrateGhs,
  isChipModelName,
  jobIntervalMs,
} from './chip-model.js';
export {
  type Bm13xxCommand,
  type CommandTarget,
  decodeCommand,
  encodeChainInactive,
  encodeReadRegister,
  encodeSetAddress,
  encodeWriteRegister,
} from './command.js';
export { crc5, crc16 } from './crc.js';
export {
  AsicError,
  ChainClosedError,
  ChipCountError,
  ChipIdError,
  FrameError,
  PllError,
  ReadTimeoutError,
} from './errors.js';
export { type InspectedField, type InspectedFrame, inspectFrame } from './frame-inspector.js';
export { frequencyRamp } from './frequency-ramp.js';
export { hashCountingNumber } from './hash-counting.js';
export { decodePllRegister, encodePllRegister, frequencyFromPllRegister, type PllSettings, solvePll } from './pll.js';
export { REG, registerName } from './registers.js';
export { type Bm13xxResponse, decodeResponse, type NonceReply, type RegisterReply } from './response.js';
export { ResponseFramer } from './response-framer.js';
export { decodeTicketMask, encodeTicketMask, ticketDifficultyFor } from './ticket-mask.js';
export { BIP320_VERSION_MASK, encodeVersionRollingRegister, versionAfter } from './version-rolling.js';
