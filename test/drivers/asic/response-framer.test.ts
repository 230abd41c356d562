import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeNonceReply, encodeRegisterReply, responseValid } from '../../../drivers/asic/response.js';
import { ResponseFramer } from '../../../drivers/asic/response-framer.js';
import { bytesToHex } from '../../../src/util/hex.js';
import { hex } from '../../support/bm13xx.js';
import { Prng } from '../../support/prng.js';

interface Stream {
  bytes: Uint8Array;
  /** Frames left intact, in order. */
  intact: string[];
  damaged: number;
  garbageBytes: number;
  /** Garbage runs that begin with AA 55. */
  fakePreambles: number;
}

/**
 * 10,000 valid frames (random nonce and register replies) with random garbage between some of them and 1–3 bytes
 * dropped from others. Garbage is fully random, so it may itself contain `AA 55` and even frames that pass.
 */
function makeStream(rng: Prng, frames: number, size: 9 | 11): Stream {
  const parts: Uint8Array[] = [];
  const intact: string[] = [];
  let damaged = 0;
  let garbageBytes = 0;
  let fakePreambles = 0;
  for (let i = 0; i < frames; i++) {
    if (rng.int(4) === 0) {
      const g = rng.bytes(1 + rng.int(12));
      // A third of the garbage starts like a frame (a fake preamble), the hardest case for resynchronising.
      if (g.length >= 2 && rng.int(3) === 0) {
        g[0] = 0xaa;
        g[1] = 0x55;
        fakePreambles++;
      }
      parts.push(g);
      garbageBytes += g.length;
    }
    const frame =
      rng.int(5) === 0
        ? encodeRegisterReply(size, rng.u32(), rng.int(256), rng.int(256))
        : encodeNonceReply(size, rng.u32(), rng.int(256), rng.int(256), rng.int(65536));
    if (rng.int(10) === 0) {
      // drop 1..3 bytes somewhere in the frame
      const drop = 1 + rng.int(3);
      const at = rng.int(size - drop + 1);
      const cut = new Uint8Array(size - drop);
      cut.set(frame.subarray(0, at));
      cut.set(frame.subarray(at + drop), at);
      parts.push(cut);
      damaged++;
    } else {
      parts.push(frame);
      intact.push(bytesToHex(frame));
    }
  }
  let n = 0;
  for (const p of parts) n += p.length;
  const bytes = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.length;
  }
  return { bytes, intact, damaged, garbageBytes, fakePreambles };
}

function runFramer(bytes: Uint8Array, size: number, rng: Prng): { out: string[]; framer: ResponseFramer } {
  const out: string[] = [];
  const framer = new ResponseFramer(size, (buf, off, n) => {
    assert.ok(responseValid(buf, off, n), 'the framer delivered a frame with a bad CRC or type');
    out.push(bytesToHex(buf.subarray(off, off + n)));
  });
  // Feed in random chunk sizes, as a UART driver delivers them.
  let off = 0;
  while (off < bytes.length) {
    const n = Math.min(bytes.length - off, 1 + rng.int(64));
    framer.push(bytes.subarray(off, off + n));
    off += n;
  }
  framer.flush();
  return { out, framer };
}

/** Every intact frame must come out, in order; anything else that came out must at least be a valid frame. */
function assertRecovered(intact: string[], out: string[]): number {
  let j = 0;
  let extra = 0;
  for (const f of out) {
    if (j < intact.length && f === intact[j]) j++;
    else extra++;
  }
  assert.equal(j, intact.length, `recovered ${j} of ${intact.length} intact frames; first missing ${intact[j]}`);
  return extra;
}

for (const seed of [1, 2, 3]) {
  test(`framer: 10,000 11-byte frames with garbage and dropped bytes, seed ${seed}: every intact frame back, no bad CRC`, () => {
    const rng = new Prng(seed);
    const s = makeStream(rng, 10_000, 11);
    assert.ok(s.damaged > 800 && s.garbageBytes > 10_000 && s.fakePreambles > 600, 'the stream really is noisy');
    const { out, framer } = runFramer(s.bytes, 11, rng);
    const extra = assertRecovered(s.intact, out);
    // Extra frames can only be accidental passes in garbage: few, and counted as CRC errors otherwise.
    assert.ok(extra < 40, `${extra} spurious frames`);
    assert.ok(framer.crcErrors > 0);
  });
}

test('framer: 9-byte frames (BM1397) with garbage and dropped bytes', () => {
  const rng = new Prng(77);
  const s = makeStream(rng, 10_000, 9);
  const { out } = runFramer(s.bytes, 9, rng);
  assertRecovered(s.intact, out);
});

test('framer: byte-at-a-time feeding gives the same frames as one big push', () => {
  const rng = new Prng(5);
  const s = makeStream(rng, 500, 11);
  const a: string[] = [];
  const fa = new ResponseFramer(11, (b, o, n) => a.push(bytesToHex(b.subarray(o, o + n))));
  for (let i = 0; i < s.bytes.length; i++) fa.push(s.bytes.subarray(i, i + 1));
  fa.flush();
  const b: string[] = [];
  const fb = new ResponseFramer(11, (x, o, n) => b.push(bytesToHex(x.subarray(o, o + n))));
  fb.push(s.bytes);
  fb.flush();
  assert.deepEqual(a, b);
  assertRecovered(s.intact, a);
});

test('framer: a frame that lost one byte does not eat the next frame (resync on the next preamble)', () => {
  const good = encodeNonceReply(11, 0x12345678, 2, 0x68, 0x05a2);
  const next = hex('aa554c0352750cd205a29c');
  const damaged = good.subarray(0, 10);
  const out: string[] = [];
  const f = new ResponseFramer(11, (b, o, n) => out.push(bytesToHex(b.subarray(o, o + n))));
  f.push(Uint8Array.from([...damaged, ...next, ...good]));
  f.flush();
  assert.deepEqual(out, ['aa554c0352750cd205a29c', bytesToHex(good)]);
});

test('framer: a real frame with "AA 55" inside is held for look-ahead, then delivered by flush()', () => {
  // nonce bytes AA 55 .. make an inner preamble at offset 2
  const frame = encodeNonceReply(11, 0xaa551234, 0, 0x10, 0);
  const out: string[] = [];
  const f = new ResponseFramer(11, (b, o, n) => out.push(bytesToHex(b.subarray(o, o + n))));
  f.push(frame);
  assert.equal(out.length, 0);
  assert.equal(f.pending, true);
  f.flush();
  assert.deepEqual(out, [bytesToHex(frame)]);
  assert.equal(f.pending, false);
});

test('framer: frame length can switch from 9 to 11 bytes (version rolling enabled)', () => {
  const out: string[] = [];
  const f = new ResponseFramer(9, (b, o, n) => out.push(bytesToHex(b.subarray(o, o + n))));
  f.push(hex('aa550000c100001802'));
  f.frameBytes = 11;
  f.push(hex('aa55137000000000000010'));
  assert.deepEqual(out, ['aa550000c100001802', 'aa55137000000000000010']);
});
