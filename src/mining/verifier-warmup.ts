import { MAX_TARGET, stateWordsMeetTarget, targetToLimbs } from '../bitcoin/target.js';
import { HeaderTemplate } from './header-template.js';

/**
 * Hashes a few thousand throwaway headers through the nonce check once per process, before the first nonce.
 *
 * Why: the check's SHA-256d tail is generated, fully unrolled code (2.5 M hashes/s once optimised). V8
 * optimises a function that large only after a thousand calls or more, and until then the nonce check took
 * about 60 µs (bench machine). A chip reporting ~30 nonces/s would pay that on the share path for its first
 * minute; this pays about 50 ms of CPU once at start instead. Pure: nothing outside the function sees it.
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
  for (let i = 0; i < WARMUP_HASHES; i++) {
    // Versions change every few nonces, as a version-rolling chip reports them: the midstate path runs too.
    template.hash((0x20000000 | ((i >>> 2) << 13)) >>> 0, Math.imul(i, 2654435761) >>> 0, words);
    stateWordsMeetTarget(words, limbs);
  }
}
