/**
 * Splitting one channel's extranonce space among several boards (chains) behind it, so that no two of them ever
 * build the same coinbase and so never search the same header. Each board rolls its own contiguous run of the
 * little-endian extranonce counter (work-roller.ts); runs are disjoint by construction. Inside one board the chips
 * need no split of their own: a BM13xx chain broadcasts each header to every chip, and the chips divide the nonce
 * range of that header among themselves by their addresses.
 */
import { extranonceSpace } from './work-roller.js';

/** Which part of the space a board takes: board `index` of `count` boards behind one channel. */
export interface ExtranonceShare {
  index: number;
  count: number;
}

/** One board for the whole channel (a single-board host). */
export const WHOLE_EXTRANONCE: ExtranonceShare = { index: 0, count: 1 };

/** The first counter value and how many a board may use. */
export interface ExtranonceRange {
  start: number;
  count: number;
}

/**
 * The run of extranonce values board `share.index` rolls in a space of `size` bytes. Runs of the `share.count`
 * boards are equal (the last takes the remainder) and never overlap. Throws RangeError for a share that makes no
 * sense or a space too small to give every board a value.
 */
export function extranoncePartition(size: number, share: ExtranonceShare): ExtranonceRange {
  const { index, count } = share;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`board count must be ≥ 1, got ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`board index must be 0..${count - 1}, got ${index}`);
  }
  const space = extranonceSpace(size);
  if (count > space) {
    throw new RangeError(`${count} boards cannot share a ${size}-byte extranonce (${space} values)`);
  }
  const per = Math.floor(space / count);
  const start = index * per;
  return { start, count: index === count - 1 ? space - start : per };
}
