/** The config file's solo section: read field by field, checked as a whole, errors naming the field. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SOLO_CONFIG, validateMinerConfig } from '../../../src/config/miner-config.js';

const KEY = '9auqWEzQDVyd2oe1JVGFLMLHZtCo2FFqZwtKA5gd9xbuEu7PH72';

test('solo sections as users write them: a node with a cookie, a node with USER:PASS, a template provider, local', () => {
  const a = validateMinerConfig(
    {
      solo: {
        node: 'http://127.0.0.1:8332',
        rpcCookie: '/home/bitcoin/.bitcoin/.cookie',
        payout: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
      },
    },
    'hashaxe.json',
  );
  assert.deepEqual(a.solo, {
    ...DEFAULT_SOLO_CONFIG,
    node: 'http://127.0.0.1:8332',
    rpcCookie: '/home/bitcoin/.bitcoin/.cookie',
    payout: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
  });
  const b = validateMinerConfig(
    { solo: { node: 'http://u:p@10.0.0.5:8332', payout: '1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH' } },
    'x',
  );
  assert.equal(b.solo?.node, 'http://u:p@10.0.0.5:8332');
  const c = validateMinerConfig(
    {
      solo: {
        templateProvider: `sv2+tcp://127.0.0.1:8442/${KEY}`,
        network: 'mainnet',
        payout: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
        tag: '/my-pi/',
      },
    },
    'x',
  );
  assert.equal(c.solo?.network, 'main');
  assert.equal(c.solo?.tag, '/my-pi/');
  const d = validateMinerConfig({ solo: { node: 'local', localBlockIntervalSec: 2 } }, 'x');
  assert.equal(d.solo?.payout, null);
  assert.equal(d.solo?.localBlockIntervalSec, 2);
  assert.equal(validateMinerConfig({ solo: null }, 'x').solo, null);
});

test('solo errors name the field and what to write', () => {
  const cases: Array<[unknown, RegExp]> = [
    [
      { solo: { node: 'http://u:p@h:1', payout: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5' } },
      /h\.json: solo\.payout "bc1q.*t5" is not a valid address: checksum does not match/,
    ],
    [{ solo: { node: 'ftp://x', payout: 'x' } }, /solo\.node must be http:\/\/\[USER:PASS@\]HOST:PORT or "local"/],
    [
      { solo: { templateProvider: 'tcp://x:1' } },
      /solo\.templateProvider must be sv2\+tcp:\/\/HOST:PORT\/AUTHORITY_KEY or "local"/,
    ],
    [{ solo: { payout: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4' } }, /solo needs exactly one of node/],
    [
      { solo: { node: 'http://h:8332', payout: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4' } },
      /solo\.node needs USER:PASS .* or an rpcCookie file/,
    ],
    [{ solo: { node: 'http://u:p@h:8332' } }, /solo\.payout is required/],
    [
      { solo: { node: 'http://u:p@h:8332', rpcCookie: '/c', payout: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4' } },
      /solo\.rpcCookie and USER:PASS in node are two ways to log in/,
    ],
    [{ solo: { templateProvider: 'local', rpcCookie: '/c' } }, /solo\.rpcCookie is for a node/],
    [
      { solo: { node: 'local', network: 'main' } },
      /solo\.network must be regtest \(or absent\) for the local synthetic node/,
    ],
    [{ solo: { node: 'local', network: 'litecoin' } }, /solo\.network must be main, test, testnet4, signet or regtest/],
    [{ solo: { node: 'local', tag: 'x'.repeat(33) } }, /solo\.tag must be up to 32 printable ASCII characters/],
    [{ solo: { node: 'local', extra: 1 } }, /solo\.extra is not a known field/],
  ];
  for (const [json, reason] of cases)
    assert.throws(() => validateMinerConfig(json, 'h.json'), reason, JSON.stringify(json));
});
