/**
 * A V1 job as the local pool hands it out, and the full check of one mining.submit against it: the coinbase
 * rebuilt from coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2, its txid folded up the merkle branches, the 80-byte
 * header, SHA-256d, the network target (a block) and the share's target. Pure: which jobs are stale, duplicates
 * and the difficulty in force live with the session.
 */
import { merkleRootFromPath, nbitsToTarget, sha256d } from '../../bitcoin/index.js';
import { hashToBigInt } from '../../bitcoin/target.js';
import type { BlockTemplate, SyntheticChain } from '../../sv2/pool/synthetic-chain.js';
import { type VersionRebuild, versionFromSubmit } from '../wire-format.js';
import type { RejectKind } from './quirk-profiles.js';

/** Bitcoin takes block times up to two hours ahead. */
export const MAX_NTIME_AHEAD_SEC = 7200;

export interface V1PoolJob {
  /** The pool's job id (a hex counter, as ckpool and public-pool use). */
  id: string;
  template: BlockTemplate;
  coinb1: Uint8Array;
  coinb2: Uint8Array;
  /** ntime the notify carried: the lowest a share may use. */
  ntime: number;
}

/** The job for `template` with room for `extranonceLength` bytes (extranonce1 + extranonce2) in the coinbase. */
export function makePoolJob(
  id: string,
  chain: SyntheticChain,
  template: BlockTemplate,
  extranonceLength: number,
  ntime: number,
): V1PoolJob {
  const parts = chain.coinbaseParts(template, extranonceLength);
  return { id, template, coinb1: parts.prefix, coinb2: parts.suffix, ntime: ntime >>> 0 };
}

export interface V1ShareInput {
  job: V1PoolJob;
  /** The extranonce1 the session had when it was sent this job. */
  extranonce1: Uint8Array;
  extranonce2Size: number;
  extranonce2: Uint8Array;
  ntime: number;
  nonce: number;
  /** The 6th submit param, null when absent. */
  versionBits: number | null;
  /** The mask granted to the session (0 when version rolling was not negotiated). */
  mask: number;
  versionRebuild: VersionRebuild;
  checkVersionBits: boolean;
  /** The target this share must meet. */
  target: bigint;
  nowSec: number;
  /** Seconds past the job's ntime allowed (ckpool 7000); null: only Bitcoin's two hours ahead of now. */
  ntimeWindowSec: number | null;
}

export type V1ShareVerdict =
  | { ok: true; hash: Uint8Array; header: Uint8Array; blockFound: boolean }
  | { ok: false; kind: RejectKind; detail: string };

export function checkV1Share(s: V1ShareInput): V1ShareVerdict {
  if (s.extranonce2.length !== s.extranonce2Size) {
    return {
      ok: false,
      kind: 'extranonce2-length',
      detail: `extranonce2 of ${s.extranonce2.length} bytes, ${s.extranonce2Size} expected`,
    };
  }
  const ntime = s.ntime >>> 0;
  const latest =
    s.ntimeWindowSec === null
      ? s.nowSec + MAX_NTIME_AHEAD_SEC
      : Math.min(s.job.ntime + s.ntimeWindowSec, s.nowSec + MAX_NTIME_AHEAD_SEC);
  if (ntime < s.job.ntime || ntime > latest) {
    return { ok: false, kind: 'ntime', detail: `ntime ${ntime} outside ${s.job.ntime}..${latest}` };
  }
  const bits = s.versionBits ?? 0;
  if (s.checkVersionBits && (bits & ~s.mask) !== 0) {
    return {
      ok: false,
      kind: 'version-mask',
      detail: `version bits ${(bits >>> 0).toString(16)} outside mask ${(s.mask >>> 0).toString(16)}`,
    };
  }
  const version = versionFromSubmit(s.job.template.version, bits, s.mask, s.versionRebuild);
  const coinbase = new Uint8Array(
    s.job.coinb1.length + s.extranonce1.length + s.extranonce2.length + s.job.coinb2.length,
  );
  let o = 0;
  coinbase.set(s.job.coinb1, o);
  o += s.job.coinb1.length;
  coinbase.set(s.extranonce1, o);
  o += s.extranonce1.length;
  coinbase.set(s.extranonce2, o);
  o += s.extranonce2.length;
  coinbase.set(s.job.coinb2, o);
  const root = merkleRootFromPath(sha256d(coinbase), s.job.template.merklePath);
  const header = new Uint8Array(80);
  const view = new DataView(header.buffer);
  view.setUint32(0, version, true);
  header.set(s.job.template.prevHash, 4);
  header.set(root, 36);
  view.setUint32(68, ntime, true);
  view.setUint32(72, s.job.template.nbits, true);
  view.setUint32(76, s.nonce >>> 0, true);
  const hash = sha256d(header);
  const value = hashToBigInt(hash);
  let network: bigint | null = null;
  try {
    network = nbitsToTarget(s.job.template.nbits);
  } catch {
    network = null;
  }
  if (network !== null && value <= network) return { ok: true, hash, header, blockFound: true };
  if (value <= s.target) return { ok: true, hash, header, blockFound: false };
  return { ok: false, kind: 'low-difficulty', detail: 'hash above the share target' };
}
