import { sha256d, sha256dInto } from './sha256.js';

/** Hash of two merkle nodes (internal byte order): SHA-256d(left ‖ right). */
export function merkleParent(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(64);
  buf.set(left, 0);
  buf.set(right, 32);
  return sha256d(buf);
}

/**
 * Merkle root from the coinbase txid and the merkle path (branch) a pool sends: the coinbase is always
 * the leftmost leaf, so every step hashes (running ‖ branch). All hashes in internal byte order.
 */
export function merkleRootFromPath(coinbaseTxid: Uint8Array, path: readonly Uint8Array[]): Uint8Array {
  // One 64-byte buffer: each fold hashes (running ‖ branch) and writes the result back as the next running node.
  const buf = new Uint8Array(64);
  buf.set(coinbaseTxid, 0);
  for (const branch of path) {
    buf.set(branch, 32);
    sha256dInto(buf, buf, 0, 64);
  }
  return buf.slice(0, 32);
}

/** Merkle root of a full list of txids (Bitcoin's tree: an odd last node pairs with itself). */
export function merkleRootFromTxids(txids: readonly Uint8Array[]): Uint8Array {
  if (txids.length === 0) throw new RangeError('a block has at least one transaction');
  let level = txids.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(merkleParent(level[i], level[i + 1] ?? level[i]));
    level = next;
  }
  return level[0].slice();
}

/**
 * The merkle path of the first transaction (the coinbase): the sibling at each level, bottom up.
 * What a pool sends so a miner can fold in its own coinbase. `txids[0]` is a placeholder for the coinbase.
 */
export function merklePathOfFirst(txids: readonly Uint8Array[]): Uint8Array[] {
  const path: Uint8Array[] = [];
  let level = txids.slice();
  while (level.length > 1) {
    path.push((level[1] ?? level[0]).slice());
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(merkleParent(level[i], level[i + 1] ?? level[i]));
    level = next;
  }
  return path;
}

/**
 * Merkle root of a block whose coinbase is `prefix ‖ extranonce ‖ suffix` (the non-witness serialization, split
 * where Stratum puts the extranonce) and whose other transactions hang off `path`. What V1, SV2 extended
 * channels and solo mining do for every fresh extranonce.
 */
export function merkleRootOfCoinbase(
  prefix: Uint8Array,
  extranonce: Uint8Array,
  suffix: Uint8Array,
  path: readonly Uint8Array[],
): Uint8Array {
  const tx = new Uint8Array(prefix.length + extranonce.length + suffix.length);
  tx.set(prefix, 0);
  tx.set(extranonce, prefix.length);
  tx.set(suffix, prefix.length + extranonce.length);
  return merkleRootFromPath(sha256dInto(tx, new Uint8Array(32)), path);
}
