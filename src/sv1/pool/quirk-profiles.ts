/**
 * How real V1 pools differ, as data: the local V1 pool speaks like one of them (`--v1-profile`), so a client can
 * be tried against each pool's habits with real share validation behind them. Sources: shared/spec/sv1.md §9–§10
 * (public-pool b971e9c and a live regtest capture, ckpool's stratifier.c, ESP-Miner's issues for NiceHash and
 * Braiins, miningcore's PRs). Where a pool's exact wording is not known the entry uses the original Stratum
 * sheet's codes (Braiins, née Slush Pool, wrote that sheet) and says so.
 */
import type { VersionRebuild } from '../wire-format.js';

export type QuirkProfileName = 'public-pool' | 'ckpool' | 'nicehash' | 'braiins' | 'miningcore';

export const QUIRK_PROFILE_NAMES: readonly QuirkProfileName[] = [
  'public-pool',
  'ckpool',
  'nicehash',
  'braiins',
  'miningcore',
];

/** Why a share is refused, in the pool's own terms. */
export type RejectKind =
  | 'stale'
  | 'unknown-job'
  | 'duplicate'
  | 'low-difficulty'
  | 'ntime'
  | 'version-mask'
  | 'extranonce2-length'
  | 'unauthorized'
  | 'worker-mismatch'
  | 'malformed';

/**
 * The shape a refusal takes on the wire:
 * - `array`: `"error": [code, message, data]` (public-pool with data "", the Stratum sheet with data null);
 * - `reject-reason`: `"result": false, "reject-reason": message` (ckpool; its malformed-submit errors are a bare
 *   string in `error`);
 * - `object`: JSON-RPC 2.0 `"error": {"code", "message", "data"}` (miningcore).
 */
export type RejectShape = 'array' | 'reject-reason' | 'object';

export interface QuirkProfile {
  name: QuirkProfileName;
  extranonce1Bytes: number;
  extranonce2Size: number;
  /** The mask the pool allows. */
  mask: number;
  /** Grants `mask` whatever was asked (public-pool); else the intersection with the ask (BIP310). */
  grantWhateverAsked: boolean;
  /** How submitted version bits become the header version. */
  versionRebuild: VersionRebuild;
  /** Refuses version bits outside the mask (ckpool "Invalid version mask"); public-pool does not look. */
  checkVersionBits: boolean;
  /** notify's version and nbits without zero padding (public-pool's `toString(16)`). */
  unpaddedNotifyHex: boolean;
  /** clean_jobs of the first job after authorize (public-pool sends its cached job with false). */
  firstJobClean: boolean;
  /** A new difficulty is followed by a notify with clean_jobs true (public-pool) or false (miningcore). */
  cleanAfterDifficulty: boolean;
  rejectShape: RejectShape;
  /** Data element of an array-shaped error ("" for public-pool, null for the Stratum sheet). */
  arrayErrorData: '' | null;
  /** `"jsonrpc":"2.0"` on every line (miningcore). */
  jsonRpc2: boolean;
  /** Sends mining.set_version_mask with id null before answering mining.subscribe (Braiins, ESP-Miner issue #80). */
  earlyVersionMask: boolean;
  /** A client.show_message after a successful authorize (ckpool's greeting). */
  greeting: string | null;
  /** Drops a client that authorizes before it subscribes (ckpool's stratifier). */
  requireSubscribeBeforeAuthorize: boolean;
  /** How mining.suggest_difficulty is taken: only the first (public-pool), integers only (ckpool), or any. */
  suggest: 'first-only' | 'integer-only' | 'any';
  /** Answers mining.extranonce.subscribe with true and moves the client with mining.set_extranonce (NiceHash). */
  extranonceSubscribe: boolean;
  /** Seconds past the job's ntime a share may roll to (ckpool 7000); null: only Bitcoin's 2-hour limit. */
  ntimeWindowSec: number | null;
  /** The pool's text and code per refusal. */
  reasons: Record<RejectKind, { code: number; message: string }>;
}

/** The original Stratum sheet's codes (20 other, 21 job not found, 22 duplicate, 23 low difficulty, 24, 25). */
const SHEET_REASONS: QuirkProfile['reasons'] = {
  stale: { code: 21, message: 'Job not found' },
  'unknown-job': { code: 21, message: 'Job not found' },
  duplicate: { code: 22, message: 'Duplicate share' },
  'low-difficulty': { code: 23, message: 'Difficulty too low' },
  ntime: { code: 20, message: 'Ntime out of range' },
  'version-mask': { code: 20, message: 'Invalid version mask' },
  'extranonce2-length': { code: 20, message: 'Invalid extranonce2 length' },
  unauthorized: { code: 24, message: 'Unauthorized worker' },
  'worker-mismatch': { code: 24, message: 'Unauthorized worker' },
  malformed: { code: 20, message: 'Invalid parameters' },
};

const BASE: Omit<QuirkProfile, 'name'> = {
  extranonce1Bytes: 4,
  extranonce2Size: 4,
  mask: 0x1fffe000,
  grantWhateverAsked: false,
  versionRebuild: 'bip310',
  checkVersionBits: true,
  unpaddedNotifyHex: false,
  firstJobClean: true,
  cleanAfterDifficulty: false,
  rejectShape: 'array',
  arrayErrorData: null,
  jsonRpc2: false,
  earlyVersionMask: false,
  greeting: null,
  requireSubscribeBeforeAuthorize: false,
  suggest: 'any',
  extranonceSubscribe: false,
  ntimeWindowSec: null,
  reasons: SHEET_REASONS,
};

export const QUIRK_PROFILES: Readonly<Record<QuirkProfileName, QuirkProfile>> = {
  'public-pool': {
    ...BASE,
    name: 'public-pool',
    grantWhateverAsked: true,
    versionRebuild: 'xor',
    checkVersionBits: false,
    unpaddedNotifyHex: true,
    firstJobClean: false,
    cleanAfterDifficulty: true,
    arrayErrorData: '',
    suggest: 'first-only',
    // public-pool's eStratumErrorCode texts (seen live: 21 "Job not found", 22 "Duplicate share", 23 "Difficulty too low").
    reasons: { ...SHEET_REASONS, 'extranonce2-length': { code: 20, message: 'Difficulty too low' } },
  },
  ckpool: {
    ...BASE,
    name: 'ckpool',
    extranonce2Size: 8,
    rejectShape: 'reject-reason',
    greeting: 'Welcome to the hashaxe local pool (speaking like ckpool)',
    requireSubscribeBeforeAuthorize: true,
    suggest: 'integer-only',
    ntimeWindowSec: 7000,
    // libckpool.h's strings.
    reasons: {
      stale: { code: 0, message: 'Stale' },
      'unknown-job': { code: 0, message: 'Invalid JobID' },
      duplicate: { code: 0, message: 'Duplicate' },
      'low-difficulty': { code: 0, message: 'Above target' },
      ntime: { code: 0, message: 'Ntime out of range' },
      'version-mask': { code: 0, message: 'Invalid version mask' },
      'extranonce2-length': { code: 0, message: 'Invalid nonce2 length' },
      unauthorized: { code: 0, message: 'Unauthorised' },
      'worker-mismatch': { code: 0, message: 'Worker mismatch' },
      malformed: { code: 0, message: 'Invalid array size' },
    },
  },
  nicehash: {
    ...BASE,
    name: 'nicehash',
    // NiceHash hands out 5-byte extranonce1 and 3-byte extranonce2 (ESP-Miner issue #193).
    extranonce1Bytes: 5,
    extranonce2Size: 3,
    extranonceSubscribe: true,
  },
  braiins: {
    ...BASE,
    name: 'braiins',
    earlyVersionMask: true,
  },
  miningcore: {
    ...BASE,
    name: 'miningcore',
    rejectShape: 'object',
    jsonRpc2: true,
    cleanAfterDifficulty: false,
  },
};

export function isQuirkProfileName(name: string): name is QuirkProfileName {
  return (QUIRK_PROFILE_NAMES as readonly string[]).includes(name);
}
