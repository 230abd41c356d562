/**
 * Checking a Template Provider's template against its own transactions: the txids must give the merkle path the
 * template carries, and the wtxids (with the excess data as the witness reserved value) the commitment in its
 * coinbase outputs. The check runs in a worker thread (TemplateChecker): parsing and hashing thousands of
 * transactions on the daemon's thread, and the garbage it leaves, would delay the next job switch by tens of ms.
 */
import { Worker } from 'node:worker_threads';
import type { TxOutput } from '../../bitcoin/coinbase.js';
import { merklePathOfFirst, merkleRootFromTxids } from '../../bitcoin/merkle.js';
import type { NodeTemplate } from '../../bitcoin/node-template.js';
import { sha256d } from '../../bitcoin/sha256.js';
import { parseTransaction, txidOf, wtxidOf } from '../../bitcoin/transaction.js';

export interface TransactionData {
  /** The witness reserved value sv2-tp uses (32 zero bytes). */
  excessData: Uint8Array;
  /** Each transaction in its full (witness) serialization, in block order. */
  transactions: Uint8Array[];
}

/** What the check needs from a template (plain data: it crosses to the worker). */
export interface TemplateCommitments {
  merklePath: readonly Uint8Array[];
  witnessReservedValue: Uint8Array | null;
  outputs: readonly TxOutput[];
}

export function commitmentsOf(t: NodeTemplate): TemplateCommitments {
  return {
    merklePath: t.merklePath,
    witnessReservedValue: t.coinbase.witnessReservedValue,
    outputs: t.coinbase.outputs,
  };
}

/** Null when `data` is what the template commits to; otherwise what does not match. */
export function checkTemplateTransactions(t: TemplateCommitments, data: TransactionData): string | null {
  const txids: Uint8Array[] = [new Uint8Array(32)];
  const wtxids: Uint8Array[] = [new Uint8Array(32)];
  for (const [i, bytes] of data.transactions.entries()) {
    try {
      const tx = parseTransaction(bytes);
      txids.push(txidOf(tx));
      wtxids.push(wtxidOf(tx));
    } catch (err) {
      return `transaction ${i} does not parse (${(err as Error).message})`;
    }
  }
  const path = merklePathOfFirst(txids);
  if (path.length !== t.merklePath.length || path.some((p, i) => !sameBytes(p, t.merklePath[i]))) {
    return `its merkle path is not the one over its ${data.transactions.length} transactions`;
  }
  const reserved = t.witnessReservedValue;
  if (reserved !== null) {
    if (!sameBytes(data.excessData, reserved)) return 'its excess_data is not the 32-byte witness reserved value';
    const buf = new Uint8Array(64);
    buf.set(merkleRootFromTxids(wtxids), 0);
    buf.set(reserved, 32);
    const commitment = sha256d(buf);
    const out = t.outputs.find((o) => o.script.length >= 38 && o.script[0] === 0x6a && o.script[1] === 0x24);
    if (out === undefined || !sameBytes(out.script.subarray(6, 38), commitment)) {
      return 'its witness commitment does not match its transactions';
    }
  }
  return null;
}

/** Runs checkTemplateTransactions in one worker thread, one check at a time, in order. */
export class TemplateChecker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (p: string | null) => void; reject: (e: Error) => void }>();

  check(t: NodeTemplate, data: TransactionData): Promise<string | null> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, template: commitmentsOf(t), data });
    });
  }

  close(): void {
    const w = this.worker;
    this.worker = null;
    for (const p of this.waiting.values()) p.reject(new Error('closed'));
    this.waiting.clear();
    void w?.terminate();
  }

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const w = new Worker(new URL('./template-check-worker.js', import.meta.url));
    w.unref();
    w.on('message', (m: { id: number; problem: string | null }) => {
      const p = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      p?.resolve(m.problem);
    });
    w.on('error', (err) => {
      for (const p of this.waiting.values()) p.reject(err);
      this.waiting.clear();
      this.worker = null;
    });
    this.worker = w;
    return w;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
