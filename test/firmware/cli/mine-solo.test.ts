/**
 * `hashaxe mine --solo` as users run it: the built binary on the embedded default finds blocks that the
 * synthetic node (JSON-RPC) and the synthetic Template Provider (SV2) validate and accept, with `blocksFound`
 * in the JSON line; and every bad input is refused before anything is powered, with a one-line reason that
 * names the flag or field (exit 2 for configuration, exit 1 for a node that is down or still syncing).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SyntheticNode } from '../../../src/sv2/pool/synthetic-node.js';
import { SyntheticTemplateProvider } from '../../../src/sv2/pool/synthetic-template-provider.js';
import { isOneLineReason, runCliCaptured, spawnCli } from '../../support/cli.js';
import { NOBODY_HOST, refusedPort } from '../../support/net.js';

const REGTEST = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const MAINNET = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';

/** A config that keeps the local chain's blocks about a second apart, so a short run finds several. */
function fastLocalConfig(dir: string, source: { node?: string; templateProvider?: string }): string {
  const path = join(dir, `solo-${Object.keys(source)[0]}.json`);
  writeFileSync(path, JSON.stringify({ solo: { ...source, localBlockIntervalSec: 1 } }));
  return path;
}

for (const [flag, kind] of [
  ['--node', 'node'],
  ['--template-provider', 'template-provider'],
] as const) {
  test(`hashaxe mine --solo ${flag} local --duration 10 --json: blocks found, all accepted, blocksFound in the JSON line`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hashaxe-solo-cli-'));
    try {
      const config = fastLocalConfig(dir, kind === 'node' ? { node: 'local' } : { templateProvider: 'local' });
      const run = await spawnCli(
        ['mine', '--config', config, '--solo', flag, 'local', '--duration', '10', '--json', '--api-port', '0'],
        { timeoutMs: 40_000 },
      );
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stdout.trim().split('\n');
      assert.equal(lines.length, 1, run.stdout);
      const s = JSON.parse(lines[0]);
      assert.ok(s.blocksAccepted >= 1, run.stdout);
      assert.equal(s.blocksRejected, 0, run.stderr);
      // The summary is taken as the run stops: a block found in its last moment may still await the node's answer.
      assert.ok(s.blocksFound >= s.blocksAccepted && s.blocksFound <= s.blocksAccepted + 1, run.stdout);
      assert.equal(s.accepted, s.blocksAccepted, 'in solo an accepted share is an accepted block');
      assert.equal(s.templates, kind);
      assert.equal(s.payout, REGTEST);
      assert.equal(s.hwErrors, 0);
      assert.match(run.stderr, /BLOCK FOUND at height \d+/);
      assert.match(run.stderr, /every block validated in full/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('bad solo input is refused before mining with a one-line reason naming the flag or field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashaxe-solo-bad-'));
  const node = await SyntheticNode.start({
    chain: { nbits: 0x207fffff, txIntervalMs: 0 },
    auth: { user: 'u', password: 'p' },
  });
  const mainNode = await SyntheticNode.start({
    chain: { nbits: 0x207fffff, txIntervalMs: 0, chain: 'main' },
    auth: { user: 'u', password: 'p' },
  });
  const full = await SyntheticNode.start({
    chain: {
      nbits: 0x207fffff,
      txIntervalMs: 0,
      initialTransactions: 40,
      maxMempool: 40,
      maxBlockWeight: 900,
      coinbaseReservedWeight: 0,
    },
    auth: { user: 'u', password: 'p' },
  });
  const tp = await SyntheticTemplateProvider.start({
    chain: { nbits: 0x207fffff, txIntervalMs: 0 },
    coinbasePrefixExtra: new Uint8Array(90),
  });
  const down = await refusedPort();
  try {
    // One character changed: bech32's checksum catches it.
    const badChecksum = REGTEST.replace('w508', 'w509');
    const cfgBadPayout = join(dir, 'bad-payout.json');
    writeFileSync(cfgBadPayout, JSON.stringify({ solo: { node: 'local', payout: badChecksum } }));
    const cfgBoth = join(dir, 'both.json');
    writeFileSync(cfgBoth, JSON.stringify({ solo: { node: 'local', templateProvider: 'local' } }));
    const cfgWrongNet = join(dir, 'wrong-net.json');
    writeFileSync(
      cfgWrongNet,
      JSON.stringify({ solo: { node: `http://u:p@127.0.0.1:${node.port}`, payout: MAINNET } }),
    );
    const good = `http://u:p@127.0.0.1:${node.port}`;
    const cases: Array<[string[], number, RegExp]> = [
      // The address itself: a checksum typo, known before anything connects.
      [['--solo', '--node', good, '--payout', badChecksum], 2, /--payout .* checksum does not match \(a typo\?\)/],
      [['--config', cfgBadPayout], 2, /bad-payout\.json: solo\.payout .* checksum does not match/],
      // An address for another network: the node says which chain it runs.
      [
        ['--solo', '--node', good, '--payout', MAINNET],
        2,
        /--payout: .* is a mainnet address, but the node runs regtest/,
      ],
      [
        ['--config', cfgWrongNet],
        2,
        /wrong-net\.json: solo\.payout: .* is a mainnet address, but the node runs regtest/,
      ],
      [
        ['--solo', '--node', 'local', '--payout', MAINNET],
        2,
        /--payout: .* mainnet address, but the node runs regtest.*\(the local synthetic node runs regtest\)/,
      ],
      // The node: unreachable, wrong password, still syncing.
      [
        ['--solo', '--node', `http://u:p@${NOBODY_HOST}:${down}`, '--payout', REGTEST],
        1,
        /solo: cannot reach the node at 127\.0\.0\.2:\d+: ECONNREFUSED/,
      ],
      [
        ['--solo', '--node', `http://u:wrong@127.0.0.1:${node.port}`, '--payout', REGTEST],
        2,
        /refused the password for RPC user "u"/,
      ],
      [
        ['--solo', '--node', `http://u:p@127.0.0.1:${mainNode.port}`, '--payout', MAINNET],
        1,
        /still in initial block download/,
      ],
      // A template whose coinbase cannot fit: the node's weight limit, a TP's oversized prefix.
      [
        ['--solo', '--node', `http://u:p@127.0.0.1:${full.port}`, '--payout', REGTEST],
        2,
        /the coinbase would weigh \d+ WU but the template leaves \d+ WU/,
      ],
      [
        ['--solo', '--template-provider', tp.url, '--network', 'regtest', '--payout', REGTEST],
        2,
        /coinbase scriptSig would be \d+ bytes/,
      ],
      // Usage.
      [['--node', 'local'], 2, /--node is for solo mining: add --solo/],
      [['--solo'], 2, /--solo needs --node URL .* or --template-provider URL/],
      [['--solo', '--node', good.replace('u:p@', '')], 2, /--node needs USER:PASS .* or an rpcCookie file/],
      [['--solo', '--node', good], 2, /--payout is required/],
      [
        ['--solo', '--node', 'local', '--template-provider', 'local'],
        2,
        /--node and --template-provider are two template sources/,
      ],
      [
        ['--solo', '--template-provider', 'local', '--network', 'mars'],
        2,
        /--network must be main, test, testnet4, signet or regtest/,
      ],
      [['--config', cfgBoth], 2, /both\.json: solo needs exactly one of node .* and templateProvider/],
    ];
    mainNode.setInitialBlockDownload(true);
    for (const [argv, code, reason] of cases) {
      // A case that wrongly starts mining stops after a while (and fails its exit code) instead of hanging the suite.
      const r = await runCliCaptured(['mine', ...argv, '--no-api'], AbortSignal.timeout(60_000));
      const label = argv.join(' ');
      assert.equal(r.code, code, `${label}: ${r.stderr}`);
      assert.match(r.stderr, reason, label);
      assert.ok(isOneLineReason(r.stderr), `${label}: ${r.stderr}`);
      assert.doesNotMatch(
        r.stderr,
        /ASIC power on|password.*p@/,
        `${label}: refused before the board is powered, no password shown`,
      );
    }
  } finally {
    await node.close();
    await mainNode.close();
    await full.close();
    await tp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
