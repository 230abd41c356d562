/**
 * Ticket difficulty: the threshold a chip applies before it reports a nonce. Chosen by the engine from two
 * figures: the channel's share difficulty (the chips must report every share, so the ticket may never be
 * harder) and the chain's hash rate (enough nonces per second to measure the hash rate and catch a failing
 * chip quickly, few enough that the UART and the verifier stay idle).
 */

/** Nonces per second the engine aims for on the whole chain (±50%: tickets are powers of two). */
export const DEFAULT_NONCES_PER_SECOND = 32;

const TWO_224 = 1n << 224n;
const TWO_32 = 4294967296;

export interface TicketChoice {
  /** What to program into the chips (a power of two ≥ 1; the register can express nothing else). */
  chipDifficulty: number;
  /** What the chips really report at: chipDifficulty × the emulator's difficulty scale (1 on silicon). */
  effectiveDifficulty: number;
}

export interface TicketInputs {
  /** What the chain hashes, H/s (silicon: PLL × cores; an emulator: its configured CPU rate). */
  hashrateHs: number;
  /** The channel's share difficulty (DIFF1 / target); may be far below 1 for tiny hash rates. */
  shareDifficulty: number;
  /** Emulated chips report at ticket × scale (1 for real chips). */
  difficultyScale: number;
  noncesPerSecond?: number;
}

/** The largest power of two ≤ x (x > 0), as a float (may be fractional). */
function floorPow2(x: number): number {
  return 2 ** Math.floor(Math.log2(x));
}

/**
 * The ticket for a chain: the effective difficulty is the power of two (in chip units) nearest below both the
 * share difficulty and the difficulty that yields `noncesPerSecond` at `hashrateHs`; chips cannot go below 1.
 */
export function chooseTicket(inputs: TicketInputs): TicketChoice {
  const { hashrateHs, shareDifficulty, difficultyScale } = inputs;
  if (!(difficultyScale > 0 && difficultyScale <= 1)) {
    throw new RangeError(`difficulty scale must be in (0, 1], got ${difficultyScale}`);
  }
  const rate = inputs.noncesPerSecond ?? DEFAULT_NONCES_PER_SECOND;
  const forRate = hashrateHs > 0 ? hashrateHs / (rate * TWO_32) : Number.POSITIVE_INFINITY;
  const wanted = Math.min(forRate, shareDifficulty > 0 ? shareDifficulty : Number.POSITIVE_INFINITY);
  const inChipUnits = Number.isFinite(wanted) ? wanted / difficultyScale : 256;
  const chipDifficulty = Math.min(2 ** 31, Math.max(1, floorPow2(inChipUnits)));
  return { chipDifficulty, effectiveDifficulty: chipDifficulty * difficultyScale };
}

/**
 * The target a chip's report is checked against: a ticket of difficulty 2^n means "32 + n leading zero bits",
 * i.e. hash < 2^224 / 2^n — slightly looser than the pool convention DIFF1 / d, so a nonce real silicon
 * reports is never mistaken for a hardware error. Returned as the largest passing value (hash ≤ target).
 */
export function ticketTarget(effectiveDifficulty: number): bigint {
  if (!(effectiveDifficulty > 0) || !Number.isFinite(effectiveDifficulty)) {
    throw new RangeError(`ticket difficulty must be > 0, got ${effectiveDifficulty}`);
  }
  // 2^32 fixed point keeps fractional (scaled) difficulties exact for powers of two.
  const scaled = BigInt(Math.round(effectiveDifficulty * TWO_32));
  const max = (1n << 256n) - 1n;
  if (scaled === 0n) return max;
  const target = (TWO_224 << 32n) / scaled - 1n;
  return target > max ? max : target;
}
