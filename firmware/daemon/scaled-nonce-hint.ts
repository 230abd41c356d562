import type { TicketChoice } from '../../src/mining/ticket.js';

/**
 * Recognises chips that report at a scaled difficulty the daemon was not told about: an external
 * `hashaxe emulate` (or any emulator) mined without `--difficulty-scale`. Every nonce then fails the ticket and
 * counts as a hardware error, which reads like broken silicon.
 *
 * Why it can tell: a nonce a real chip gets wrong hashes to a random value, which reaches difficulty 2^-24 about
 * once in 256 tries. Scaled chips' nonces all reach ticket × their scale. Several errors in a row that all
 * reach 2^-24 are not chance (2^-80 for ten), and the easiest of them gives the scale as a power of two (right
 * but for 1 in 1,000 runs, which name twice the scale; a restart with it then shows the rest).
 */
export const SCALED_NONCE_MIN_DIFFICULTY = 2 ** -24;
export const SCALED_NONCE_RUN = 10;

export class ScaledNonceHint {
  private run = 0;
  private easiest = Number.POSITIVE_INFINITY;
  private told = false;

  /**
   * One hardware error: the difficulty its hash reached and the ticket it failed. Returns the scale the chips
   * seem to report at, once, when a run of errors shows it; otherwise null.
   */
  observe(difficulty: number, ticket: TicketChoice): number | null {
    if (this.told) return null;
    if (!(difficulty >= SCALED_NONCE_MIN_DIFFICULTY)) {
      this.run = 0;
      this.easiest = Number.POSITIVE_INFINITY;
      return null;
    }
    this.run++;
    this.easiest = Math.min(this.easiest, difficulty);
    if (this.run < SCALED_NONCE_RUN) return null;
    const scale = 2 ** Math.floor(Math.log2(this.easiest / ticket.chipDifficulty));
    // Only a scale below the one in use explains nonces that reach it but fail the ticket.
    if (!(scale < ticket.effectiveDifficulty / ticket.chipDifficulty)) return null;
    this.told = true;
    return scale;
  }
}
