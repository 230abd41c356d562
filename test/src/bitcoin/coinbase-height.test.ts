import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bip34HeightPush, compactSize } from '../../../src/bitcoin/coinbase.js';
import { coinbaseHeight } from '../../../src/bitcoin/coinbase-height.js';

/** version ‖ 1 input ‖ null prevout ‖ script length ‖ script (the start of a coinbase, as a job's prefix holds it). */
function prefix(script: Uint8Array): Uint8Array {
  const head = new Uint8Array([2, 0, 0, 0, 1, ...new Uint8Array(32), 0xff, 0xff, 0xff, 0xff]);
  return new Uint8Array([...head, ...compactSize(script.length), ...script]);
}

test('the BIP34 height a coinbase commits to, for heights of every push size', () => {
  for (const h of [1, 16, 17, 127, 128, 255, 256, 65_535, 839_900, 8_388_607, 8_388_608]) {
    const script = new Uint8Array([...bip34HeightPush(h), 0x04, 0xde, 0xad, 0xbe, 0xef]);
    assert.equal(coinbaseHeight(prefix(script)), h, String(h));
  }
});

test('not a coinbase with a height: null, never a made-up number', () => {
  assert.equal(coinbaseHeight(new Uint8Array(10)), null, 'too short');
  const two = prefix(new Uint8Array([3, 1, 2, 3]));
  two[4] = 2;
  assert.equal(coinbaseHeight(two), null, 'two inputs: not a coinbase');
  assert.equal(coinbaseHeight(prefix(new Uint8Array([0x4c, 1, 2]))), null, 'OP_PUSHDATA1 is no height');
  assert.equal(coinbaseHeight(prefix(new Uint8Array([3, 1, 2, 0x80]))), null, 'a negative script number');
  assert.equal(coinbaseHeight(prefix(new Uint8Array([3, 1]))), null, 'a push longer than the bytes there');
});
