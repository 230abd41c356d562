/**
 * An extended job's coinbase as the device completes it. The pool sends `coinbase_tx_prefix` and
 * `coinbase_tx_suffix`; the channel adds its `extranonce_prefix` and the device its rolled `extranonce`:
 *
 *   coinbase = coinbase_tx_prefix ‖ extranonce_prefix ‖ extranonce ‖ coinbase_tx_suffix
 *
 * The txid that goes up the merkle path is over the non-witness serialization. The spec wants pools to send the
 * pieces stripped of BIP141 data, but older SRI pools (and SRI's own tests) send the segwit form: marker and flag
 * after the version, the witness stack before the locktime. Such pieces are normalised here, once per job, so
 * that the work roller can hash `prefix ‖ extranonce ‖ suffix` as it is for every one of its merkle roots.
 */
import { CoinbaseError, stripWitness } from '../../bitcoin/coinbase.js';
import type { CoinbaseHeaderSource } from '../../mining/job.js';

export { MAX_EXTRANONCE_LEN } from '../messages/mining.js';

export interface ExtendedJobPieces {
  coinbaseTxPrefix: Uint8Array;
  coinbaseTxSuffix: Uint8Array;
  merklePath: readonly Uint8Array[];
}

/**
 * The header source of an extended job for a channel with `extranoncePrefix` and `extranonceSize` rolled bytes.
 * Throws CoinbaseError when the pieces carry BIP141 data but do not form one transaction (its txid is unknowable).
 */
export function extendedJobHeader(
  job: ExtendedJobPieces,
  extranoncePrefix: Uint8Array,
  extranonceSize: number,
): CoinbaseHeaderSource {
  const { prefix, suffix } = nonWitnessPieces(
    job.coinbaseTxPrefix,
    job.coinbaseTxSuffix,
    extranoncePrefix.length + extranonceSize,
  );
  const full = new Uint8Array(prefix.length + extranoncePrefix.length);
  full.set(prefix, 0);
  full.set(extranoncePrefix, prefix.length);
  return {
    kind: 'coinbase',
    prefix: full,
    extranonceSize,
    suffix,
    merklePath: job.merklePath.map((p) => p.slice()),
  };
}

/**
 * `prefix` and `suffix` of the non-witness serialization. Pieces already without BIP141 data come back as copies;
 * segwit pieces lose the marker/flag (prefix bytes 4–5) and the witness stack (from the suffix).
 */
export function nonWitnessPieces(
  prefix: Uint8Array,
  suffix: Uint8Array,
  extranonceLength: number,
): { prefix: Uint8Array; suffix: Uint8Array } {
  const segwit = prefix.length >= 6 && prefix[4] === 0x00 && prefix[5] === 0x01;
  if (!segwit) return { prefix: prefix.slice(), suffix: suffix.slice() };
  const tx = new Uint8Array(prefix.length + extranonceLength + suffix.length);
  tx.set(prefix, 0);
  tx.set(suffix, prefix.length + extranonceLength);
  const stripped = stripWitness(tx);
  const strippedPrefix = new Uint8Array(prefix.length - 2);
  strippedPrefix.set(prefix.subarray(0, 4), 0);
  strippedPrefix.set(prefix.subarray(6), 4);
  const suffixStart = strippedPrefix.length + extranonceLength;
  if (stripped.length < suffixStart) throw new CoinbaseError('coinbase pieces end inside the extranonce');
  return { prefix: strippedPrefix, suffix: stripped.slice(suffixStart) };
}
