/** The ledger of blocks found: what it logs, counts and keeps for the state file. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlockLedger } from '../../../firmware/daemon/block-ledger.js';
import { MAX_STORED_BLOCKS } from '../../../firmware/daemon/lifetime-state.js';
import type { BlockEvent } from '../../../src/mining/job-source.js';

function block(height: number, answer: BlockEvent['answer'], reason: string | null = null): BlockEvent {
  return {
    hash: height.toString(16).padStart(64, '0'),
    height,
    answer,
    reason,
    via: 'http://127.0.0.1:8332',
    payoutSats: 312_500_000n,
    payoutAddress: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
  };
}

test('sent, then answered: logged with the node’s words, counted by answer and reason, kept with a revision', () => {
  const lines: string[] = [];
  const ledger = new BlockLedger({ info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`) }, [], () =>
    Date.UTC(2026, 11, 7),
  );
  ledger.onBlock(block(900_000, null));
  ledger.onBlock(block(900_000, 'accepted'));
  ledger.onBlock(block(900_001, null));
  ledger.onBlock(block(900_001, 'rejected', 'bad-cb-height'));
  ledger.onBlock(block(900_002, null));
  ledger.onBlock(block(900_002, 'inconclusive', 'inconclusive'));
  ledger.onBlock(block(900_003, 'superseded', 'not sent: it could only compete with our own block'));
  assert.deepEqual(lines, [
    `BLOCK FOUND at height 900000: ${block(900_000, null).hash}, paying 3.12500000 BTC to bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4; sent to http://127.0.0.1:8332`,
    `block 900000 ${block(900_000, null).hash} accepted by http://127.0.0.1:8332`,
    `BLOCK FOUND at height 900001: ${block(900_001, null).hash}, paying 3.12500000 BTC to bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4; sent to http://127.0.0.1:8332`,
    `warning: block 900001 ${block(900_001, null).hash} REJECTED by http://127.0.0.1:8332: bad-cb-height`,
    `BLOCK FOUND at height 900002: ${block(900_002, null).hash}, paying 3.12500000 BTC to bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4; sent to http://127.0.0.1:8332`,
    `warning: block 900002 ${block(900_002, null).hash} inconclusive by http://127.0.0.1:8332: inconclusive`,
    `another block at height 900003 (${block(900_003, null).hash}) not sent: it could only compete with our own block`,
  ]);
  const s = ledger.status();
  assert.deepEqual(
    [s.found, s.accepted, s.rejected, s.superseded, s.reasons],
    [3, 1, 2, 1, { 'bad-cb-height': 1, inconclusive: 1 }],
  );
  assert.equal(ledger.revision, 3);
  assert.deepEqual(ledger.stored()[1], {
    height: 900_001,
    hash: block(900_001, null).hash,
    at: '2026-12-07T00:00:00.000Z',
    answer: 'rejected',
    reason: 'bad-cb-height',
    via: 'http://127.0.0.1:8332',
    payoutAddress: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
    payoutSats: '312500000',
  });
});

test('the newest blocks are kept, and every answer moves the revision even past the cap', () => {
  const ledger = new BlockLedger({ info: () => {}, warn: () => {} });
  for (let h = 1; h <= MAX_STORED_BLOCKS + 5; h++) ledger.onBlock(block(h, 'accepted'));
  const stored = ledger.stored();
  assert.equal(stored.length, MAX_STORED_BLOCKS);
  assert.equal(stored[0].height, 6);
  assert.equal(ledger.revision, MAX_STORED_BLOCKS + 5);
  assert.equal(ledger.status().recent.length, 10);
});
