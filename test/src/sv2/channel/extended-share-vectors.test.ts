/**
 * SRI's extended-channel share cases (test/vectors/sv2/sri-extended-channel-shares.json) through hashaxe's own two
 * sides: the client's extended channel (NewExtendedMiningJob → coinbase job → the work roller's merkle root and
 * header, as the chips get it) and the local pool's extended channel (the coinbase rebuilt from prefix ‖ extranonce
 * ‖ suffix, then SRI's validation order). Each share must come out as SRI says — accepted as a block or a share,
 * or refused for the same reason — with the same header hash.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { leBytesToTarget, sha256d } from '../../../../src/bitcoin/index.js';
import { WorkRoller } from '../../../../src/mining/work-roller.js';
import { shareHeader } from '../../../../src/sv2/channel/share-check.js';
import { BIP323_VERSION_MASK } from '../../../../src/sv2/channel/version-rolling.js';
import { ChannelState } from '../../../../src/sv2/client/channel-state.js';
import { nonWitnessPieces } from '../../../../src/sv2/client/extended-job.js';
import { PoolChannel, type PoolJob } from '../../../../src/sv2/pool/pool-channel.js';
import type { SyntheticChain } from '../../../../src/sv2/pool/synthetic-chain.js';
import { bytesToHex, bytesToHexReversed, hexToBytes } from '../../../../src/util/hex.js';
import { repoRoot } from '../../../support/vectors.js';

interface ExtendedCase {
  name: string;
  extranoncePrefix: string;
  channelTargetLE: string;
  versionRolling: boolean;
  rollableExtranonceSize: number;
  newExtendedMiningJob: {
    jobId: number;
    version: number;
    versionRollingAllowed: boolean;
    coinbaseTxPrefix: string;
    coinbaseTxSuffix: string;
    merklePath: string[];
  };
  nbits: number;
  prevHash: string;
  minNtime: number;
  shares: Array<{
    sequenceNumber: number;
    jobId: number;
    nonce: number;
    ntime: number;
    version: number;
    extranonce: string;
    expected: string;
    expectedOnResubmit?: string;
    merkleRootHeaderOrder: string;
    headerHex: string;
    hashDisplay: string;
  }>;
}

const FILE = join(repoRoot(), 'test', 'vectors', 'sv2', 'sri-extended-channel-shares.json');
const { cases } = JSON.parse(readFileSync(FILE, 'utf8')) as { cases: ExtendedCase[] };

/** SRI's result names → the pool's judgement in SRI's words. */
function sriName(j: ReturnType<PoolChannel['validate']>): string {
  if (j.ok) return j.blockFound ? 'BlockFound' : 'Valid';
  switch (j.code) {
    case 'difficulty-too-low':
      return 'DoesNotMeetTarget';
    case 'duplicate-share':
      return 'DuplicateShare';
    case 'version-rolling-not-allowed':
      return 'VersionRollingNotAllowed';
    case 'invalid-share':
    case 'invalid-non-rollable-version-bit':
      return 'Invalid';
    default:
      return j.code;
  }
}

/** The little-endian counter value of an extranonce (what the work roller counts). */
function counterOf(extranonce: Uint8Array): number {
  let v = 0;
  for (let i = Math.min(extranonce.length, 6) - 1; i >= 0; i--) v = v * 256 + extranonce[i];
  return v;
}

test('SRI extended-channel shares: the client builds the same header and the pool gives the same verdict and hash', () => {
  assert.equal(cases.length, 8);
  let shares = 0;
  let hashed = 0;
  for (const c of cases) {
    const job = c.newExtendedMiningJob;
    const prefix = hexToBytes(c.extranoncePrefix);
    const size = c.rollableExtranonceSize;
    const target = leBytesToTarget(hexToBytes(c.channelTargetLE));
    const txPrefix = hexToBytes(job.coinbaseTxPrefix);
    const txSuffix = hexToBytes(job.coinbaseTxSuffix);
    const merklePath = job.merklePath.map((h) => hexToBytes(h));
    // The one case whose suffix SRI wrote with a stray byte after the locktime: not one transaction.
    const malformed = c.name === 'test_share_validation_ntime_below_min_ntime';

    // Client side: the job as the device gets it (segwit pieces normalised once), activated by the prev hash.
    const client = new ChannelState({
      kind: 'extended',
      channelId: 1,
      requestId: 1,
      userIdentity: 'vectors',
      extranoncePrefix: prefix,
      extranonceSize: size,
      groupChannelId: 0,
      target,
      versionRolling: { allowed: c.versionRolling, mask: BIP323_VERSION_MASK },
      nominalHashRateHs: 1,
    });
    const outcome = client.onNewExtendedMiningJob(
      {
        channelId: 1,
        jobId: job.jobId,
        minNtime: null,
        version: job.version,
        versionRollingAllowed: job.versionRollingAllowed,
        merklePath,
        coinbaseTxPrefix: txPrefix,
        coinbaseTxSuffix: txSuffix,
      },
      0,
    );
    if (malformed) {
      // A device cannot know the txid of a coinbase that is not one transaction: it mines nothing on it.
      assert.equal(outcome.kind, 'ignored', c.name);
    } else {
      assert.equal(outcome.kind, 'future', c.name);
    }
    const tip = { prevHash: hexToBytes(c.prevHash), nbits: c.nbits, minNtime: c.minNtime };
    const activated = client.onSetNewPrevHash({ channelId: 1, jobId: job.jobId, ...tip }, 0);
    assert.equal(activated.job === null, malformed, c.name);

    // Pool side: the job as a pool that strips BIP141 data sends it (the spec's form), this channel's prefix.
    const pool = new PoolChannel(
      'extended',
      1,
      1,
      'vectors',
      prefix,
      target,
      1,
      target,
      job.versionRollingAllowed,
      0,
      undefined,
      size,
    );
    const pieces = malformed
      ? { prefix: txPrefix, suffix: txSuffix }
      : nonWitnessPieces(txPrefix, txSuffix, prefix.length + size);
    const poolJob: PoolJob = {
      jobId: job.jobId,
      epoch: 0,
      version: job.version,
      versionRollingAllowed: job.versionRollingAllowed,
      header: {
        kind: 'coinbase',
        prefix: Uint8Array.of(...pieces.prefix, ...prefix),
        suffix: pieces.suffix,
        merklePath,
      },
      ...tip,
      target,
    };
    pool.registerJob(poolJob, true, 0);
    const chain = { epoch: 0 } as SyntheticChain;

    for (const s of c.shares) {
      shares++;
      const extranonce = hexToBytes(s.extranonce);
      const share = {
        channelId: 1,
        sequenceNumber: s.sequenceNumber,
        jobId: s.jobId,
        nonce: s.nonce,
        ntime: s.ntime,
        version: s.version,
        extranonce,
      };
      if (activated.job !== null) {
        // The work the chips would get for this extranonce: the roller's merkle root and the header it leads to.
        const roller = new WorkRoller({
          version: activated.job.version,
          minNtime: activated.job.minNtime,
          grantedMask: activated.job.versionRolling.allowed ? activated.job.versionRolling.mask : 0,
          prevHash: activated.job.prevHash,
          header: activated.job.header,
          nbits: activated.job.nbits,
          activatedAtMs: 0,
          rollableVersionBits: 0x1fffe000,
          chipRollsVersions: true,
          versionsPerWork: 1,
          extranonceStart: counterOf(extranonce),
          extranonceCount: 1,
        });
        const work = roller.next(0);
        assert.ok(work !== null && work.extranonce !== undefined);
        assert.equal(bytesToHex(work.extranonce), s.extranonce, `${c.name}: the extranonce rolled`);
        assert.equal(bytesToHex(work.merkleRoot), s.merkleRootHeaderOrder, `${c.name}: merkle root`);
        const header = shareHeader(work.merkleRoot, tip, s);
        assert.equal(bytesToHex(header), s.headerHex, `${c.name}: header`);
        assert.equal(bytesToHexReversed(sha256d(header)), s.hashDisplay, `${c.name}: hash`);
        hashed++;
      }
      const verdict = pool.validate(share, chain, c.minNtime * 1000);
      if (verdict.ok) assert.equal(bytesToHexReversed(verdict.hash), s.hashDisplay, `${c.name}: pool's hash`);
      const name = sriName(verdict);
      if (s.expected.startsWith('Ok')) assert.ok(name === 'Valid' || name === 'BlockFound', `${c.name}: ${name}`);
      else assert.equal(name, s.expected, `${c.name}: verdict`);
      if (s.expectedOnResubmit !== undefined) {
        assert.equal(sriName(pool.validate(share, chain, c.minNtime * 1000)), s.expectedOnResubmit, `${c.name}: again`);
      }
    }
  }
  assert.equal(shares, 10);
  assert.equal(hashed, 9, 'every share but the malformed coinbase case hashed on the client side');
});
