/**
 * Payout addresses: BIP350's segwit vectors (valid → script, invalid → refused), base58 P2PKH/P2SH from a Core
 * regtest capture, the network each belongs to, and the round trip script → address.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AddressError,
  addressOfScript,
  type Chain,
  checkAddressChain,
  parseAddress,
  parseChain,
} from '../../../src/bitcoin/address.js';
import { bech32Decode, bech32Encode } from '../../../src/bitcoin/bech32.js';
import { bytesToHex } from '../../../src/util/hex.js';
import { readRepoVector } from '../../support/repo-vectors.js';

const bip350 = readRepoVector<{ valid: [string, string][]; invalid: [string, string][] }>(
  'bitcoin/bip350-segwit-addresses.json',
);
const gbt = readRepoVector<{ key: Record<string, string> }>('templates/bitcoind-regtest-gbt.json');

test('BIP350: every valid segwit address gives its scriptPubKey, and re-encodes to itself', () => {
  for (const [address, script] of bip350.valid) {
    const a = parseAddress(address);
    assert.equal(bytesToHex(a.script), script, address);
    const chain: Chain = address.toLowerCase().startsWith('bc') ? 'main' : 'test';
    assert.equal(addressOfScript(a.script, chain), address.toLowerCase(), address);
  }
});

test('BIP350: every invalid segwit address is refused with an AddressError', () => {
  for (const [address, why] of bip350.invalid) {
    assert.throws(() => parseAddress(address), AddressError, `${address} (${why})`);
  }
});

test('bech32 and bech32m checksums are told apart; one wrong character is caught', () => {
  const good = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
  assert.equal(bech32Decode(good).variant, 'bech32');
  const typo = `${good.slice(0, 20)}${good[20] === 'q' ? 'p' : 'q'}${good.slice(21)}`;
  assert.throws(() => parseAddress(typo), /checksum does not match/);
  const m = bech32Encode('bcrt', bech32Decode(good).data, 'bech32m');
  assert.throws(() => parseAddress(m), /bech32m checksum, but a witness version 0 address uses bech32/);
});

test('Core regtest addresses from the capture: P2WPKH and P2PKH of the same key', () => {
  const w = parseAddress(gbt.key.p2wpkh_address);
  assert.equal(bytesToHex(w.script), gbt.key.p2wpkh_script);
  assert.equal(w.type, 'p2wpkh');
  assert.deepEqual(w.chains, ['regtest']);
  const p = parseAddress(gbt.key.p2pkh_address);
  assert.equal(bytesToHex(p.script), gbt.key.p2pkh_script);
  assert.equal(p.type, 'p2pkh');
  assert.ok(p.chains.includes('regtest') && p.chains.includes('test') && !p.chains.includes('main'));
  assert.equal(addressOfScript(p.script, 'regtest'), gbt.key.p2pkh_address);
  assert.equal(addressOfScript(w.script, 'regtest'), gbt.key.p2wpkh_address);
});

test('base58: a bad checksum, a private key (WIF) and garbage are refused, naming what is wrong', () => {
  const addr = gbt.key.p2pkh_address;
  const typo = addr.slice(0, -1) + (addr.endsWith('r') ? 's' : 'r');
  assert.throws(() => parseAddress(typo), /checksum mismatch/);
  assert.throws(() => parseAddress(gbt.key.wif_regtest_compressed), /not a P2PKH or P2SH address/);
  assert.throws(() => parseAddress('not-an-address'), /not a valid address/);
  assert.throws(() => parseAddress(''), /is empty/);
});

test('network checks: a wrong-network address names both networks; tb1 fits every test chain', () => {
  const regtest = parseAddress(gbt.key.p2wpkh_address);
  checkAddressChain(regtest, 'regtest');
  assert.throws(() => checkAddressChain(regtest, 'main'), /regtest address, but the node runs mainnet/);
  const tb = parseAddress(bip350.valid[1][0]);
  for (const chain of ['test', 'testnet4', 'signet'] as const) checkAddressChain(tb, chain);
  assert.throws(() => checkAddressChain(tb, 'main'), /testnet3\/testnet4\/signet address/);
  const bc = parseAddress(bip350.valid[0][0]);
  assert.throws(() => checkAddressChain(bc, 'regtest'), /mainnet address, but the node runs regtest/);
  // P2PKH on mainnet: the same key hash with version 0x00 (encoded, then parsed back).
  const main = addressOfScript(parseAddress(gbt.key.p2pkh_address).script, 'main');
  assert.ok(main?.startsWith('1'));
  assert.deepEqual(parseAddress(main as string).chains, ['main']);
});

test('chain names as Core and users write them', () => {
  assert.equal(parseChain('main'), 'main');
  assert.equal(parseChain('mainnet'), 'main');
  assert.equal(parseChain('testnet'), 'test');
  assert.equal(parseChain('testnet4'), 'testnet4');
  assert.equal(parseChain('regtest'), 'regtest');
  assert.equal(parseChain('litecoin'), null);
});
