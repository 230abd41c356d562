/**
 * Solo mining as a job source: templates from the owner's node (either TemplateSource), a coinbase the device
 * builds paying the owner, and every share that meets the network target sent back as a whole block.
 *
 *   template ──► buildTemplateCoinbase (BIP34 height, tag, extranonce push, owner's output, commitment)
 *            ──► MiningJob { header: coinbase prefix / rolled bytes / suffix / merkle path, target: network }
 *   share    ──► assembleBlock (header, witness coinbase, transactions) ──► submitblock / SubmitSolution
 *
 * Shares in solo: the job's share target is the network target, so a "share" is a block. The engine still
 * counts every verified nonce as hash rate; `accepted` counts blocks the node accepted, `rejected` blocks it
 * refused (by the node's reason, or `duplicate` / `inconclusive` / `unconfirmed`), and a block that could not be
 * delivered is `lost`. A second block on the same tip found before the node answered for the first waits for that
 * answer: after an acceptance it is not sent (`superseded`: it could only compete with our own block). The same template → coinbase → job path is what job declaration will feed with a pool's
 * outputs and extranonce prefix.
 */
import { type Chain, checkAddressChain, type PayoutAddress } from '../bitcoin/address.js';
import { assembleBlock } from '../bitcoin/block-assembly.js';
import type { TxOutput } from '../bitcoin/coinbase.js';
import type { NodeTemplate } from '../bitcoin/node-template.js';
import { difficultyFromTarget, targetToLimbs } from '../bitcoin/target.js';
import { buildTemplateCoinbase, type TemplateCoinbase, TemplateCoinbaseError } from '../bitcoin/template-coinbase.js';
import type { MinedShare, MiningJob } from '../mining/job.js';
import type { JobSource, JobSourceEvents, JobSourceSession } from '../mining/job-source.js';
import { bytesToHexReversed } from '../util/hex.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { type BlockAnswer, type TemplateSource, TemplateSourceError } from './template-source.js';

export interface SoloJobSourceOptions {
  source: TemplateSource;
  payout: PayoutAddress;
  /** How the payout was configured, for errors that name it (`--payout`, `solo.payout`). */
  payoutField: string;
  /** The chain the owner configured; checked against the node's when both are known. */
  expectedChain?: Chain | null;
  /** Pushed after the BIP34 height. Default "/hashaxe/". */
  tag?: Uint8Array;
  /** Bytes the chips' work roller rolls. Default 4. */
  extranonceSize?: number;
  /** Random bytes for the per-session extranonce prefix (tests pass a seeded one). */
  random?: (n: number) => Uint8Array;
  now?: () => number;
}

/** Solo's channel id: there is no channel, the node is ours. */
const SOLO_CHANNEL = 0;
/** Per-session random bytes before the rolled ones: two runs on the same template never hash the same coinbase. */
const SESSION_PREFIX_BYTES = 4;
/** Jobs whose coinbase is kept for a share still in the engine (the last few on the current tip suffice). */
const KEPT_JOBS = 16;

/** Blocks on one tip: whether the node accepted the first, and later ones waiting for that answer. */
interface TipBlocks {
  accepted: boolean | null;
  held: Array<() => void>;
}

interface JobEntry {
  job: MiningJob;
  template: NodeTemplate;
  coinbase: TemplateCoinbase;
}

export class SoloJobSource extends TypedEmitter<JobSourceEvents> implements JobSource {
  private readonly source: TemplateSource;
  private readonly tag: Uint8Array;
  private readonly extranonceSize: number;
  private readonly prefix: Uint8Array;
  private readonly now: () => number;
  private readonly jobs = new Map<number, JobEntry>();
  /** By previous-block hash (display): our blocks on that tip. */
  private readonly tips = new Map<string, TipBlocks>();
  private nextJobId = 1;
  private nextSequence = 1;
  private opened = false;
  /** The job handed out last (its template's info is what the status shows). */
  private latest: JobEntry | null = null;
  private closed = false;
  private target: bigint | null = null;

  constructor(private readonly options: SoloJobSourceOptions) {
    super();
    this.source = options.source;
    this.tag = options.tag ?? new TextEncoder().encode('/hashaxe/');
    this.extranonceSize = options.extranonceSize ?? 4;
    this.now = options.now ?? Date.now;
    const random = options.random ?? ((n: number) => crypto.getRandomValues(new Uint8Array(n)));
    this.prefix = random(SESSION_PREFIX_BYTES);
    this.source.on('template', (e) => this.onTemplate(e.template, e.newTip));
    this.source.on('warning', (e) => this.emit('warning', e));
    this.source.on('down', (e) => this.goDown(e.code, e.reason));
    this.source.on('transactions', (e) => {
      const latest = this.latest;
      if (latest !== null && latest.template === e.template && this.opened && !this.closed) this.emitInfo(latest);
    });
  }

  get connected(): boolean {
    return this.opened && !this.closed && this.source.connected;
  }

  /** The template source underneath (tests, the bench). */
  get templates(): TemplateSource {
    return this.source;
  }

  /**
   * Connects the template source, checks the payout address against its chain and builds the first job; then
   * `opened` and the first `newTip`, in that order, before this resolves. Rejects with TemplateSourceError
   * (`wrong-network` and `constraints` name what to change).
   */
  async connect(): Promise<JobSourceSession> {
    const info = await this.source.connect();
    const payout = this.options.payout;
    try {
      checkAddressChain(payout, info.chain);
      const expected = this.options.expectedChain ?? null;
      if (expected !== null && expected !== info.chain) {
        throw new Error(`the configuration says ${expected}, but the node runs ${info.chain}`);
      }
    } catch (err) {
      this.source.close('wrong network');
      throw new TemplateSourceError('wrong-network', `${this.options.payoutField}: ${(err as Error).message}`);
    }
    const template = this.source.current;
    if (template === null)
      throw new TemplateSourceError('protocol', 'the template source connected without a template');
    let first: JobEntry;
    try {
      first = this.jobFor(template);
    } catch (err) {
      this.source.close('coinbase does not fit');
      throw err;
    }
    const session: JobSourceSession = {
      protocol: 'solo',
      description: `${info.description}; paying ${payout.text}`,
      target: template.target,
      difficulty: difficultyFromTarget(template.target),
      versionRolling: first.job.versionRolling,
      channelKind: info.kind === 'node' ? 'own node' : 'own template provider',
      authenticated: info.authenticated,
      templates: { kind: info.kind, endpoint: info.endpoint, chain: info.chain, payoutAddress: payout.text },
    };
    this.target = template.target;
    this.opened = true;
    this.emit('opened', session);
    this.emit('newTip', first.job);
    this.emitInfo(first);
    return session;
  }

  submitShare(share: MinedShare): number {
    const entry = typeof share.job.jobId === 'number' ? this.jobs.get(share.job.jobId) : undefined;
    if (entry === undefined) throw new Error(`solo job ${String(share.job.jobId)} is no longer known`);
    if (share.extranonce === null) throw new Error('a solo share needs the rolled extranonce');
    const seq = this.nextSequence++;
    const found = assembleBlock(entry.template, entry.coinbase, {
      extranonce: share.extranonce,
      version: share.version,
      ntime: share.ntime,
      nonce: share.nonce,
    });
    const hash = bytesToHexReversed(found.hash);
    const payoutSats = sumPayouts(entry);
    const base = {
      hash,
      height: entry.template.height,
      via: this.source.endpoint,
      payoutSats,
      payoutAddress: this.options.payout.text,
    };
    const answered = (answer: BlockAnswer): void => {
      this.emit('block', { ...base, answer: answer.kind, reason: answer.reason });
      const credit = { target: share.job.target, late: false };
      if (answer.kind === 'accepted') this.emit('shareAnswer', { kind: 'accepted', shares: [credit], count: 1 });
      else if (answer.kind === 'error')
        this.emit('shareAnswer', { kind: 'lost', count: 1, why: answer.reason ?? 'not delivered' });
      else this.emit('shareAnswer', { kind: 'rejected', reason: answer.reason ?? answer.kind, share: credit });
    };
    const send = (): Promise<BlockAnswer> => {
      this.emit('block', { ...base, answer: null, reason: null });
      return this.source
        .submitBlock({
          template: entry.template,
          header: found.header,
          coinbase: found.coinbase,
          block: found.block,
          hash: found.hash,
        })
        .catch(
          (err: unknown): BlockAnswer => ({ kind: 'error', reason: err instanceof Error ? err.message : String(err) }),
        )
        .then((answer) => {
          answered(answer);
          return answer;
        });
    };
    // A second block on the same tip while the node has not answered the first can only compete with our own:
    // it waits for that answer and is sent only if the first was not accepted.
    const prev = bytesToHexReversed(entry.template.prevHash);
    const tip = this.tips.get(prev);
    if (tip === undefined) {
      const record: TipBlocks = { accepted: null, held: [] };
      this.tips.set(prev, record);
      if (this.tips.size > KEPT_JOBS) this.tips.delete(this.tips.keys().next().value as string);
      void send().then((answer) => {
        record.accepted = answer.kind === 'accepted';
        for (const next of record.held.splice(0)) next();
      });
    } else {
      const decide = (): void => {
        if (tip.accepted === true) {
          this.emit('block', {
            ...base,
            answer: 'superseded',
            reason: `found before the node answered for our block at this height, which it accepted: not sent, it could only compete with it`,
          });
        } else {
          void send();
        }
      };
      if (tip.accepted === null) tip.held.push(decide);
      else decide();
    }
    return seq;
  }

  updateNominalHashRate(_hashRateHs: number): void {
    // The network's target does not follow our hash rate.
  }

  /** Closes the template source; a source that had opened reports `down` (the failover waits for it). */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.source.close(reason);
    if (this.opened) this.emit('down', { code: 'closed', reason, willReconnect: false });
  }

  private onTemplate(template: NodeTemplate, newTip: boolean): void {
    if (!this.opened || this.closed) return;
    let entry: JobEntry;
    try {
      entry = this.jobFor(template);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (newTip) {
        // Nothing valid to mine on the new block: better to stop than to hash for a block that cannot be.
        this.goDown('constraints', `the template for height ${template.height} cannot be mined: ${why}`);
        return;
      }
      this.emit('warning', {
        message: `template for height ${template.height} skipped (still mining the previous one): ${why}`,
      });
      return;
    }
    if (this.target !== template.target) {
      this.target = template.target;
      this.emit('target', { target: template.target, difficulty: difficultyFromTarget(template.target) });
    }
    if (newTip) this.emit('newTip', entry.job);
    else this.emit('job', entry.job);
    this.emitInfo(entry);
  }

  /** Template → coinbase → job. Throws TemplateSourceError('constraints') when the coinbase cannot fit. */
  private jobFor(template: NodeTemplate): JobEntry {
    const payouts: TxOutput[] = [
      { valueSats: template.coinbase.valueRemainingSats, script: this.options.payout.script },
    ];
    let coinbase: TemplateCoinbase;
    try {
      coinbase = buildTemplateCoinbase(template.coinbase, {
        payouts,
        tag: this.tag,
        extranoncePrefix: this.prefix,
        extranonceSize: this.extranonceSize,
      });
    } catch (err) {
      if (err instanceof TemplateCoinbaseError) throw new TemplateSourceError('constraints', err.message);
      throw err;
    }
    const id = this.nextJobId++;
    const mask = template.versionRollingMask;
    const job: MiningJob = {
      channelId: SOLO_CHANNEL,
      jobId: id,
      version: template.version,
      versionRolling: { allowed: mask !== 0, mask },
      header: {
        kind: 'coinbase',
        prefix: coinbase.prefix,
        extranonceSize: coinbase.extranonceSize,
        suffix: coinbase.suffix,
        merklePath: template.merklePath,
      },
      prevHash: template.prevHash,
      nbits: template.nbits,
      minNtime: template.ntime,
      target: template.target,
      targetLimbs: targetToLimbs(template.target),
      activatedAtMs: this.now(),
    };
    const entry = { job, template, coinbase };
    this.jobs.set(id, entry);
    if (this.jobs.size > KEPT_JOBS) this.jobs.delete(this.jobs.keys().next().value as number);
    return entry;
  }

  private emitInfo(entry: JobEntry): void {
    this.latest = entry;
    const t = entry.template;
    let outputs = 0n;
    for (const o of t.coinbase.outputs) outputs += o.valueSats;
    this.emit('templateInfo', {
      height: t.height,
      transactions: t.transactionCount,
      coinbaseValueSats: t.coinbase.valueRemainingSats + outputs,
      payoutSats: sumPayouts(entry),
      networkDifficulty: difficultyFromTarget(t.target),
    });
  }

  private goDown(code: string, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.source.close(reason);
    if (this.opened) this.emit('down', { code, reason, willReconnect: false });
  }

  protected override onListenerError(event: string, err: unknown): void {
    if (event === 'warning') return;
    this.emit('warning', { message: `a ${event} listener threw: ${err instanceof Error ? err.message : String(err)}` });
  }
}

function sumPayouts(entry: JobEntry): bigint {
  return entry.template.coinbase.valueRemainingSats;
}
