import { difficultyOfStateWords, MAX_TARGET, stateWordsMeetTarget, targetToLimbs } from '../bitcoin/target.js';
import { HeaderTemplate } from './header-template.js';

/**
 * Hashes a few thousand throwaway headers through the nonce check once per process, before the first nonce.
 *
 * Why: the check's SHA-256d tail is generated, fully unrolled code (2.5 M hashes/s once compiled). V8 compiles
 * a function that large only after thousands of calls, and until then runs it in the interpreter at about
 * 60 µs a nonce. A chip reporting ~30 nonces/s would pay that on the share path for its first minutes; this
 * pays about 50 ms of CPU once at start instead. Pure: nothing outside the function sees it.
 */
const WARMUP_HASHES = 5000;
let warmed = false;

export function warmNonceVerifier(): void {
  if (warmed) return;
  warmed = true;
  const template = new HeaderTemplate({
    version: 0x20000000,
    versionMask: 0x1fffe000,
    prevHash: new Uint8Array(32).fill(0x5a),
    merkleRoot: new Uint8Array(32).fill(0xa5),
    ntime: 1_700_000_000,
    nbits: 0x1d00ffff,
  });
  const words = new Uint32Array(8);
  const limbs = targetToLimbs(MAX_TARGET);
  let sink = 0;
  for (let i = 0; i < WARMUP_HASHES; i++) {
    // Versions change every few nonces, as a version-rolling chip reports them: the midstate path runs too.
    template.hash((0x20000000 | ((i >>> 2) << 13)) >>> 0, Math.imul(i, 2654435761) >>> 0, words);
    if (stateWordsMeetTarget(words, limbs)) sink += difficultyOfStateWords(words);
  }
  if (sink < 0) throw new Error('unreachable: difficulties are positive');
}
