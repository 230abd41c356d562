/**
 * Solo mining in the daemon: the solo section of the config (or --solo flags) as an upstream in the failover
 * list, its job source, the check before anything is powered, and the embedded synthetic node / Template Provider
 * behind `local`.
 *
 * Failover: solo is the primary; configured pools are its backups. A node that goes down (or is left behind by a
 * restart) makes the daemon move to the first pool, and the primary failback probe brings it back to solo once
 * the node hands out templates again — the same rules as between pools.
 */
import {
  type Chain,
  checkAddressChain,
  describeChain,
  type PayoutAddress,
  parseAddress,
} from '../../src/bitcoin/address.js';
import { targetFromDifficulty, targetToNbits } from '../../src/bitcoin/target.js';
import type { SoloConfig } from '../../src/config/miner-config.js';
import type { DeviceInfo } from '../../src/sv2/client/mining-client.js';
import { parseSv2Url } from '../../src/sv2/client/url.js';
import { SyntheticNode } from '../../src/sv2/pool/synthetic-node.js';
import type { SyntheticNodeChain } from '../../src/sv2/pool/synthetic-node-chain.js';
import { SyntheticTemplateProvider } from '../../src/sv2/pool/synthetic-template-provider.js';
import { BitcoindTemplateSource } from '../../src/templates/rpc/bitcoind-template-source.js';
import { parseNodeUrl } from '../../src/templates/rpc/node-url.js';
import { SoloJobSource } from '../../src/templates/solo-job-source.js';
import { TemplateProviderSource } from '../../src/templates/tdp/template-provider-source.js';
import { TemplateSourceError, type TemplateSourceErrorCode } from '../../src/templates/template-source.js';
import type { UpstreamPool } from './upstream.js';

/** Everything a solo source is built from (credentials stay in `url`, never in the pool's display URL). */
export interface SoloUpstream {
  kind: 'node' | 'template-provider';
  url: string;
  cookieFile: string | null;
  payout: PayoutAddress;
  /** How the payout was given, for errors (`--payout`, `hashaxe.json: solo.payout`). */
  payoutField: string;
  /** The chain the owner named (a TP's; a node's is checked against it); null = the node says. */
  chain: Chain | null;
  tag: Uint8Array;
  /** True for the embedded synthetic node / TP. */
  local: boolean;
}

/** Regtest payout for `local` when none is given: the address of secret key 1 (nothing real is ever paid). */
export const LOCAL_PAYOUT = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

/** TP listen ports by chain (sv2-tp's defaults), to infer the chain a TP URL names. */
const TP_PORTS: Record<number, Chain> = {
  8442: 'main',
  18442: 'test',
  48442: 'testnet4',
  38442: 'signet',
  18447: 'regtest',
};

/** The solo upstream for `config` (with `local` already replaced by the embedded peer's URL). */
export function soloUpstream(s: SoloConfig, resolvedUrl: string, payoutField: string): UpstreamPool {
  const local = s.node === 'local' || s.templateProvider === 'local';
  const payout = parseAddress(s.payout ?? LOCAL_PAYOUT);
  const kind = s.node !== null ? 'node' : 'template-provider';
  let chain = s.network;
  if (local) chain = 'regtest';
  else if (kind === 'template-provider' && chain === null) {
    chain = TP_PORTS[parseSv2Url(resolvedUrl).port] ?? 'main';
  }
  const display = kind === 'node' ? parseNodeUrl(resolvedUrl).display : resolvedUrl;
  return {
    url: display,
    user: payout.text,
    authorityKey: null,
    solo: {
      kind,
      url: resolvedUrl,
      cookieFile: s.rpcCookie,
      payout,
      payoutField,
      chain,
      tag: new TextEncoder().encode(s.tag),
      local,
    },
  };
}

/** The job source for a solo upstream; throws TemplateSourceError('config') for an unusable URL. */
export function openSoloJobSource(s: SoloUpstream, device: DeviceInfo): SoloJobSource {
  const source =
    s.kind === 'node'
      ? new BitcoindTemplateSource({ url: s.url, cookieFile: s.cookieFile })
      : new TemplateProviderSource({
          url: s.url,
          chain: s.chain ?? 'main',
          payoutOutputs: [{ valueSats: 0n, script: s.payout.script }],
          device,
        });
  return new SoloJobSource({
    source,
    payout: s.payout,
    payoutField: s.payoutField,
    expectedChain: s.kind === 'node' ? s.chain : null,
    tag: s.tag,
  });
}

/** Why the daemon refuses to start solo: bad input (exit 2) or an environment not ready (exit 1). */
export class SoloStartError extends Error {
  override readonly name = 'SoloStartError';
  constructor(
    readonly code: TemplateSourceErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** The configuration is wrong (credentials, network, address, a coinbase that cannot fit): exit 2. */
  get badInput(): boolean {
    return (
      this.code === 'config' ||
      this.code === 'unauthorized' ||
      this.code === 'wrong-network' ||
      this.code === 'constraints'
    );
  }
}

/**
 * Connects once to the owner's node (or TP) before anything is powered: credentials, sync state, chain against
 * the payout address, and a first coinbase that fits. Resolves when mining there would work; rejects with a
 * SoloStartError that says what to fix.
 */
export async function checkSoloUpstream(s: SoloUpstream, device: DeviceInfo): Promise<string> {
  let source: SoloJobSource;
  try {
    source = openSoloJobSource(s, device);
  } catch (err) {
    if (err instanceof TemplateSourceError) throw new SoloStartError(err.code, `solo: ${err.message}`);
    throw err;
  }
  try {
    const session = await source.connect();
    return session.description;
  } catch (err) {
    if (err instanceof TemplateSourceError) throw new SoloStartError(err.code, `solo: ${err.message}`);
    throw err;
  } finally {
    source.close('start-up check done');
  }
}

/**
 * Solo's start-up check: the payout address fits the chain, and (for the owner's node) credentials, sync state,
 * chain and a first coinbase that fit, all before the board is powered. Throws SoloStartError for a
 * configuration error always, and for a node that is down or syncing unless `haveBackups` (then it warns: the
 * pools mine meanwhile). Returns a line for the log, or null for the local peer.
 */
export async function checkSoloConfig(
  solo: SoloConfig,
  payoutField: string,
  device: DeviceInfo,
  haveBackups: boolean,
  warn: (message: string) => void,
): Promise<string | null> {
  if (solo.node === 'local' || solo.templateProvider === 'local') {
    try {
      checkAddressChain(parseAddress(solo.payout ?? LOCAL_PAYOUT), 'regtest');
    } catch (err) {
      throw new SoloStartError(
        'wrong-network',
        `${payoutField}: ${(err as Error).message} (the local synthetic node runs regtest)`,
      );
    }
    return null;
  }
  const pool = soloUpstream(solo, solo.node ?? solo.templateProvider ?? '', payoutField);
  try {
    return `solo check passed: ${await checkSoloUpstream(pool.solo as SoloUpstream, device)}`;
  } catch (err) {
    if (!(err instanceof SoloStartError) || err.badInput || !haveBackups) throw err;
    warn(`${err.message}; mining on the backup pools until the node is ready`);
    return null;
  }
}

/** The embedded synthetic peer behind `local`, on 127.0.0.1. */
export interface LocalSoloPeer {
  url: string;
  chain: SyntheticNodeChain;
  describe(): string;
  close(): Promise<void>;
}

/**
 * Starts the synthetic node (`node: local`) or Template Provider (`templateProvider: local`) with a difficulty
 * the chips meet about every `blockIntervalSec` at `hashrateHs`.
 */
export async function startLocalSoloPeer(
  s: SoloConfig,
  hashrateHs: number,
  payoutScript: Uint8Array,
): Promise<LocalSoloPeer> {
  // The first block comes ten times sooner than the aim, then every block retargets toward it: a busy CPU (an
  // emulator hashes slower under load) still finds blocks, and they settle at about the configured pace.
  const difficulty = Math.max(1e-9, (hashrateHs * s.localBlockIntervalSec) / 10 / 2 ** 32);
  const nbits = targetToNbits(targetFromDifficulty(difficulty));
  const chainOptions = {
    nbits,
    targetBlockIntervalMs: s.localBlockIntervalSec * 1000,
    payoutScript,
    txIntervalMs: 2000,
    txPerInterval: 3,
    initialTransactions: 30,
  };
  if (s.node === 'local') {
    const user = 'hashaxe';
    const password = crypto.randomUUID();
    const node = await SyntheticNode.start({
      chain: chainOptions,
      auth: { user, password },
      longpollMempoolMs: 10_000,
    });
    return {
      url: `http://${user}:${password}@127.0.0.1:${node.port}`,
      chain: node.chain,
      describe: () =>
        `local synthetic node on ${node.url} (${describeChain(node.chain.chain)}, JSON-RPC): a block about every ` +
        `${s.localBlockIntervalSec} s at this hash rate, every block validated in full`,
      close: () => node.close(),
    };
  }
  const tp = await SyntheticTemplateProvider.start({ chain: chainOptions, templateIntervalMs: 5000 });
  return {
    url: tp.url,
    chain: tp.chain,
    describe: () =>
      `local synthetic Template Provider on ${tp.url} (${describeChain(tp.chain.chain)}, SV2 over Noise): a block ` +
      `about every ${s.localBlockIntervalSec} s at this hash rate, every block validated in full`,
    close: () => tp.close(),
  };
}
