/**
 * Solo mining's template switch, measured on the real pieces: the synthetic Template Provider in its own process
 * with a 4,000-transaction mempool, the TDP client over loopback TCP with Noise, the solo job source (coinbase
 * built for the owner), the mining engine, and the BM1366 driver writing to an in-memory line (the bench plays
 * the chip).
 *
 * template.switch.new-block   the decrypted SetNewPrevHash that activates a 4,000-transaction future template
 *                             reaches the TDP client → the chip job frame for it is handed to the transport.
 * template.switch.fee-update  a decrypted non-future NewTemplate (same tip, new transactions) reaches the client →
 *                             its chip job frame is handed to the transport (decode, coinbase, job included).
 * template.switch.floor       the hashing such a switch does (a coinbase txid and 12 merkle levels, 13 SHA-256d),
 *                             timed alone right after each switch on the same wake-up: how much of a tail is the
 *                             machine (preemption, a busy CPU) rather than the path.
 *                             The TDP client checks every new block's template against its transactions in a
 *                             worker thread meanwhile (HASHAXE_BENCH_VERIFY=0 turns that off, to compare).
 * template.gbt-parse          the other source: a getblocktemplate answer with 4,000 transactions read into a
 *                             template (JSON text → NodeTemplate, merkle path included), in ms. Bitcoin Core's
 *                             RPC sends the whole template as JSON on every change, so its switch is bounded by
 *                             this; Template Distribution sends the merkle path instead, which is why the switch
 *                             above does not grow with the template.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseAddress } from '../../src/bitcoin/address.js';
import { sha256d } from '../../src/bitcoin/sha256.js';
import { MAX_TARGET } from '../../src/bitcoin/target.js';
import { MiningEngine } from '../../src/mining/engine.js';
import { NewTemplate, TdSetNewPrevHash } from '../../src/sv2/messages/template-distribution.js';
import { SyntheticNode } from '../../src/sv2/pool/synthetic-node.js';
import { parseBlockTemplate } from '../../src/templates/rpc/gbt-template.js';
import { JsonRpcClient } from '../../src/templates/rpc/json-rpc-client.js';
import { SoloJobSource } from '../../src/templates/solo-job-source.js';
import { TemplateProviderSource } from '../../src/templates/tdp/template-provider-source.js';
import { chainOnMemoryLine } from './chip-line.js';
import { type BenchCase, type LatencySamples, median } from './harness.js';

const TRANSACTIONS = 4000;
const PAYOUT = parseAddress('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080');
const DEVICE = { vendor: 'hashaxe', hardwareVersion: 'bench', firmware: 'bench' };

interface ChildTp {
  url: string;
  transactions: number;
  child: ChildProcessByStdio<Writable, Readable, null>;
  send(command: 'block' | 'fee'): void;
  close(): Promise<void>;
}

async function startChildTp(): Promise<ChildTp> {
  const script = fileURLToPath(new URL('./template-provider-child.js', import.meta.url));
  const child = spawn(process.execPath, [script, String(TRANSACTIONS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const hello = await new Promise<{ url: string; transactions: number }>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(text.slice(0, nl)));
    });
    child.once('exit', (code) => reject(new Error(`template provider exited ${code}`)));
  });
  child.stdout.resume();
  return {
    ...hello,
    child,
    send: (command) => child.stdin.write(`${command}\n`),
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}

let rig: Awaited<ReturnType<typeof startRig>> | null = null;

async function startRig() {
  const tp = await startChildTp();
  if (tp.transactions !== TRANSACTIONS) throw new Error(`the template holds ${tp.transactions} transactions`);
  const { chain, host, device } = await chainOnMemoryLine();
  const source = new TemplateProviderSource({
    url: tp.url,
    chain: 'regtest',
    payoutOutputs: [{ valueSats: 0n, script: PAYOUT.script }],
    device: DEVICE,
    verifyTransactions: process.env.HASHAXE_BENCH_VERIFY !== '0',
  });
  const jobs = new SoloJobSource({ source, payout: PAYOUT, payoutField: 'bench' });
  const engine = new MiningEngine({
    chain,
    submitter: jobs,
    hashrateHs: 1,
    target: MAX_TARGET,
    difficultyScale: 2 ** -32,
    refreshIntervalMs: 60_000,
  });
  jobs.on('newTip', (job) => engine.newTip(job));
  jobs.on('job', (job) => engine.activeJob(job));
  jobs.on('target', (e) => engine.setTarget(e.target));
  engine.setTarget((await jobs.connect()).target);
  return {
    tp,
    source,
    host,
    async close() {
      engine.stop();
      jobs.close('bench over');
      await chain.close();
      await device.close();
      await tp.close();
    },
  };
}

/**
 * `count` switches of one kind: the TP is told to make a template, t0 is when its frame is decrypted on the
 * device, t1 when the driver hands the job frame (0x21) to the chip line. The TP builds each 4,000-transaction
 * template in its own process first; only the device's part is timed.
 */
const floorBlock = new Uint8Array(64);
let floorSink = 0;

/** The switch's hashing alone: 13 SHA-256d of 64 bytes. */
function floorWork(): void {
  let h: Uint8Array = floorBlock;
  for (let i = 0; i < 13; i++) {
    floorBlock.set(h.subarray(0, 32));
    h = sha256d(floorBlock);
  }
  floorSink ^= h[0];
}

async function switches(kind: 'block' | 'fee', count: number, floor: number[]): Promise<number[]> {
  const r = rig;
  if (r === null) throw new Error('no rig');
  const wanted = kind === 'block' ? TdSetNewPrevHash.msgType : NewTemplate.msgType;
  const samples: number[] = [];
  let t0 = -1;
  let done: (() => void) | null = null;
  const onFrame = (f: { msgType: number }): void => {
    if (f.msgType === wanted) t0 = performance.now();
  };
  r.source.on('frame', onFrame);
  r.host.observe = (bytes: Uint8Array): void => {
    if (bytes[2] === 0x21 && t0 >= 0) {
      samples.push((performance.now() - t0) * 1000);
      t0 = -1;
      const f0 = performance.now();
      floorWork();
      floor.push((performance.now() - f0) * 1000);
      done?.();
    }
  };
  for (let i = 0; i < count; i++) {
    const switched = new Promise<void>((resolve) => {
      done = resolve;
    });
    r.tp.send(kind);
    await Promise.race([switched, new Promise((res) => setTimeout(res, 5000))]);
    done = null;
  }
  r.source.off('frame', onFrame);
  r.host.observe = null;
  if (samples.length < count / 2)
    throw new Error(`only ${samples.length} of ${count} ${kind} switches reached the chips`);
  return samples;
}

/** A getblocktemplate answer with 4,000 transactions, as the node's JSON text. */
let gbtText = '';

async function makeGbtText(): Promise<void> {
  const node = await SyntheticNode.start({
    chain: { nbits: 0x207fffff, txIntervalMs: 0, initialTransactions: TRANSACTIONS, maxMempool: TRANSACTIONS + 10 },
    auth: { user: 'b', password: 'b' },
  });
  const client = new JsonRpcClient({
    host: '127.0.0.1',
    port: node.port,
    auth: { kind: 'password', user: 'b', password: 'b' },
  });
  const result = await client.call('getblocktemplate', [{ rules: ['segwit'] }]);
  client.close();
  await node.close();
  gbtText = JSON.stringify({ result, error: null, id: 1 });
}

export const benches: BenchCase[] = [
  {
    name: 'template.switch',
    unit: 'µs',
    runs: 5,
    setup: async () => {
      rig = await startRig();
    },
    teardown: async () => {
      await rig?.close();
      rig = null;
    },
    measure: async (): Promise<LatencySamples> => {
      const floor: number[] = [];
      const newBlock = await switches('block', 20, floor);
      const feeUpdate = await switches('fee', 20, floor);
      if (floorSink === 256) throw new Error('unreachable: keeps the floor work live');
      return { samples: { 'new-block': newBlock, 'fee-update': feeUpdate, floor } };
    },
  },
  {
    name: 'template.gbt-parse',
    unit: 'ms',
    runs: 5,
    setup: makeGbtText,
    measure: () => {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const reply = JSON.parse(gbtText) as { result: unknown };
        const t = parseBlockTemplate(reply.result, { id: BigInt(i) }).template;
        times.push(performance.now() - t0);
        if (t.transactionCount !== TRANSACTIONS) throw new Error(`parsed ${t.transactionCount} transactions`);
      }
      return median(times);
    },
  },
];
