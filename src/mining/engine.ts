/**
 * The mining engine: turns the pool's jobs into chip work and the chips' nonces into shares.
 *
 *   upstream (any job source)          engine                                chain
 *   newTip(job) ──────────────► invalidate, dispatch at once ──sendWork──►  every chip
 *   activeJob(job) ───────────► dispatch at once
 *   setTarget(t) ─────────────► share threshold, ticket
 *                                 refresh() every interval ──sendWork──►   (distinct work: WorkRoller)
 *   submitShare ◄── hash ≤ target ◄── rebuild header, SHA-256d ◄──────────  onResult(nonce, version, chip)
 *
 * Every result is rebuilt into its exact 80-byte header from the work sent under its chip job id and hashed
 * (midstate + generated tail, no allocation). A result that does not meet the ticket the chips were given is
 * a hardware error of that chip and goes nowhere. One that meets the channel target is submitted only while
 * its job is still valid (same prev hash, connection up). Hash rate is credited from verified results at the
 * ticket difficulty — what the chips really did, the figure a pool will see over time.
 */
import {
  difficultyFromTarget,
  difficultyOfStateWords,
  nbitsToTarget,
  stateWordsMeetTarget,
  targetToLimbs,
} from '../bitcoin/index.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { type ExtranonceShare, extranoncePartition, WHOLE_EXTRANONCE } from './extranonce-partition.js';
import { HeaderTemplate } from './header-template.js';
import type { MinedShare, MiningJob, ShareAnswer } from './job.js';
import type { MiningChain } from './mining-chain.js';
import { MiningStats } from './stats.js';
import { chooseTicket, type TicketChoice, ticketTarget } from './ticket.js';
import { warmNonceVerifier } from './verifier-warmup.js';
import type { ChipResult, Work } from './work.js';
import { extranonceSpace, WorkRoller } from './work-roller.js';

/** What the engine needs from the upstream to send a share (whichever protocol it speaks). */
export interface ShareSubmitter {
  /** Sends the share; returns its sequence number (the upstream's id for it). Throws when it cannot be sent. */
  submitShare(share: MinedShare): number;
}

export interface EngineOptions {
  chain: MiningChain;
  submitter: ShareSubmitter;
  /** What the chain hashes (H/s): silicon from PLL × cores, an emulator its configured CPU rate. */
  hashrateHs: number;
  /** The channel's target when the engine starts (later ones arrive through `setTarget`). */
  target: bigint;
  /** Emulated chips report at ticket × scale (1 on silicon). */
  difficultyScale?: number;
  /** How often fresh work goes to the chips (the chain's job interval), ms. */
  refreshIntervalMs: number;
  noncesPerSecond?: number;
  /** A ticket change takes effect on the chips a little later; results in flight are checked at the old one this long. */
  ticketGraceMs?: number;
  /**
   * This chain's part of a coinbase job's extranonce space when several boards share one upstream channel
   * (extranonce-partition.ts). Default: the whole space.
   */
  extranonceShare?: ExtranonceShare;
  now?: () => number;
}

export interface ShareSubmittedEvent {
  channelId: number;
  jobId: number | string;
  sequenceNumber: number;
  nonce: number;
  version: number;
  ntime: number;
  /** The rolled extranonce (coinbase jobs), else null. */
  extranonce: Uint8Array | null;
  chipIndex: number;
  /** DIFF1 / hash. */
  difficulty: number;
  /** The hash also meets the network target: a block. */
  blockFound: boolean;
}

export interface HardwareErrorEvent {
  chipIndex: number;
  chipJobId: number;
  nonce: number;
  version: number;
  /** The difficulty its hash did reach (random for a real chip's error; telling for mis-scaled emulators). */
  difficulty: number;
}

export interface WorkSentEvent {
  chipJobId: number;
  poolJobId: number | string;
  /** True when this work replaced everything before it (a new prev hash). */
  clean: boolean;
  work: Work;
}

export interface EngineEvents {
  share: ShareSubmittedEvent;
  hardwareError: HardwareErrorEvent;
  work: WorkSentEvent;
  ticket: TicketChoice;
  /** A share could not be sent (connection down); it is lost. */
  submitFailed: { reason: string };
}

/** What the engine remembers per chip job id: the work sent under it and where it came from. */
interface DispatchSlot {
  template: HeaderTemplate;
  job: MiningJob;
  epoch: number;
}

export class MiningEngine extends TypedEmitter<EngineEvents> {
  readonly stats: MiningStats;
  private readonly chain: MiningChain;
  private readonly submitter: ShareSubmitter;
  private readonly now: () => number;
  private readonly scale: number;
  private readonly slots: Array<DispatchSlot | undefined> = new Array(256);
  private readonly words = new Uint32Array(8);
  private readonly stopResults: () => void;
  private hashrateHs: number;
  private channelTarget: bigint;
  private channelLimbs: Uint32Array;
  private ticket: TicketChoice;
  private ticketLimbs: Uint32Array;
  /** The previous ticket's limbs, accepted until `ticketGraceUntil` (results already on the wire). */
  private oldTicketLimbs: Uint32Array | null = null;
  private oldTicket: TicketChoice | null = null;
  private ticketGraceUntil = 0;
  private readonly ticketGraceMs: number;
  private readonly extranonceShare: ExtranonceShare;
  /** Bumped by every new prev hash and every pause: results from an older epoch are never submitted. */
  private epoch = 0;
  private current: { job: MiningJob; roller: WorkRoller } | null = null;
  /** False while the chips are down (power off, bring-up): jobs are remembered, not sent. */
  private ready = true;
  private timer: NodeJS.Timeout | null = null;
  private refreshMs: number;
  private readonly noncesPerSecond: number | undefined;
  private poolJobs = 0;
  private prevHashes = 0;
  private chipJobs = 0;
  private exhausted = 0;
  private droppedOffline = 0;
  private lastResultMs = 0;
  private lastCleanDispatchMs = 0;

  constructor(options: EngineOptions) {
    super();
    warmNonceVerifier();
    this.chain = options.chain;
    this.submitter = options.submitter;
    this.now = options.now ?? Date.now;
    this.scale = options.difficultyScale ?? 1;
    this.hashrateHs = options.hashrateHs;
    this.refreshMs = options.refreshIntervalMs;
    this.noncesPerSecond = options.noncesPerSecond;
    this.ticketGraceMs = options.ticketGraceMs ?? 2000;
    this.extranonceShare = options.extranonceShare ?? WHOLE_EXTRANONCE;
    // A share that cannot be honoured is a configuration error, refused at start rather than at the first job.
    extranoncePartition(8, this.extranonceShare);
    this.stats = new MiningStats(options.chain.chipCount, this.now);
    this.channelTarget = options.target;
    this.channelLimbs = targetToLimbs(options.target);
    const applied = this.chain.setTicketDifficulty(this.pickTicket().chipDifficulty);
    this.ticket = { chipDifficulty: applied, effectiveDifficulty: applied * this.scale };
    this.ticketLimbs = targetToLimbs(ticketTarget(this.ticket.effectiveDifficulty));
    this.stopResults = this.chain.onResult((r) => this.onResult(r));
  }

  /** The ticket the chips report at now. */
  get ticketChoice(): TicketChoice {
    return { ...this.ticket };
  }

  get counters(): {
    poolJobs: number;
    prevHashChanges: number;
    chipJobs: number;
    exhaustedRefreshes: number;
    sharesDroppedOffline: number;
  } {
    return {
      poolJobs: this.poolJobs,
      prevHashChanges: this.prevHashes,
      chipJobs: this.chipJobs,
      exhaustedRefreshes: this.exhausted,
      sharesDroppedOffline: this.droppedOffline,
    };
  }

  /** The pool job the chips work on (or will, once they are back), if any. */
  get currentJob(): MiningJob | null {
    return this.current?.job ?? null;
  }

  /**
   * Milliseconds the chips have been silent while mining: since the last result they sent, or since they got a
   * fresh job if that was later. 0 when they are not mining. What the daemon's chain watchdog reads.
   */
  silentForMs(): number {
    if (!this.mining) return 0;
    return this.now() - Math.max(this.lastResultMs, this.lastCleanDispatchMs);
  }

  /** Expected milliseconds between results at the current ticket and hash rate. */
  expectedResultIntervalMs(): number {
    return this.hashrateHs > 0 ? ((this.ticket.effectiveDifficulty * 2 ** 32) / this.hashrateHs) * 1000 : Infinity;
  }

  /** True while the chips are working on a pool job. */
  get mining(): boolean {
    return this.current !== null && this.ready;
  }

  /** Starts the work refresh timer. */
  start(): void {
    this.stopTimer();
    this.timer = setInterval(() => this.refresh(), this.refreshMs);
    this.timer.unref?.();
  }

  /** Stops refreshing and refuses every result from now on; the chips keep their last job until reset. */
  stop(): void {
    this.stopTimer();
    this.upstreamDown();
    this.stopResults();
  }

  /**
   * A new block (SetNewPrevHash): every job before it is stale at once. The job it activates (if the channel
   * has it) goes to the chips in the same call; without one the chips are left idle-stale until the next job.
   */
  newTip(job: MiningJob | null): void {
    this.prevHashes++;
    this.epoch++;
    this.chain.invalidateJobs();
    this.current = null;
    if (job !== null) this.activate(job, true);
  }

  /** A new job on the same block (NewMiningJob with min_ntime): earlier jobs stay valid for shares. */
  activeJob(job: MiningJob): void {
    this.activate(job, false);
  }

  /** The channel's target changed (SetTarget): the share threshold now, and the ticket if it must follow. */
  setTarget(target: bigint): void {
    this.channelTarget = target;
    this.channelLimbs = targetToLimbs(target);
    this.retune();
  }

  /** The chain's hash rate changed (a frequency change): re-chooses the ticket and the refresh interval. */
  setHashrate(hashrateHs: number, refreshIntervalMs?: number): void {
    this.hashrateHs = hashrateHs;
    if (refreshIntervalMs !== undefined && refreshIntervalMs !== this.refreshMs) {
      this.refreshMs = refreshIntervalMs;
      if (this.timer !== null) this.start();
    }
    this.retune();
  }

  /**
   * The chips cannot take work (powered off, being re-initialised): results from now on are refused; the
   * current job is kept for `resume`.
   */
  pause(): void {
    this.ready = false;
    this.epoch++;
    this.chain.invalidateJobs();
  }

  /** The chips are back (after a bring-up wiped their job slots): the current job goes out again at once. */
  resume(): void {
    this.ready = true;
    const current = this.current;
    if (current === null) return;
    // The same roller: the chips must not get a header they already hashed (duplicate shares).
    const work = current.roller.next(this.now());
    if (work !== null) this.dispatch(current.job, work, true);
  }

  /** The upstream is gone: nothing found from now on can be submitted, and its job is forgotten. */
  upstreamDown(): void {
    this.epoch++;
    this.chain.invalidateJobs();
    this.current = null;
  }

  /** Sends the next distinct piece of the current job, if the spec allows one yet. */
  refresh(): void {
    const current = this.current;
    if (current === null || !this.ready) return;
    const work = current.roller.next(this.now());
    if (work === null) {
      this.exhausted++;
      return;
    }
    this.dispatch(current.job, work, false);
  }

  /** Bookkeeping of the upstream's answers. */
  onShareResult(event: ShareAnswer): void {
    switch (event.kind) {
      case 'accepted':
        if (event.shares.length > 0) {
          for (const s of event.shares) {
            this.stats.shareAccepted(difficultyFromTarget(s.target));
            if (s.late) this.stats.shareAnsweredLate();
          }
        } else if (event.count > 0) {
          this.stats.shareAccepted(difficultyFromTarget(this.channelTarget), event.count);
        }
        return;
      case 'rejected':
        this.stats.shareRejected(event.reason);
        if (event.share?.late) this.stats.shareAnsweredLate();
        return;
      case 'timeout':
        if (event.count > 0) this.stats.shareUnanswered('timeout', event.count);
        return;
      case 'lost':
        if (event.count > 0) this.stats.shareUnanswered('lost', event.count);
        return;
    }
  }

  private activate(job: MiningJob, clean: boolean): void {
    this.poolJobs++;
    const roller = new WorkRoller({
      version: job.version,
      minNtime: job.minNtime,
      grantedMask: job.versionRolling.allowed ? job.versionRolling.mask : 0,
      prevHash: job.prevHash,
      header: job.header,
      nbits: job.nbits,
      activatedAtMs: job.activatedAtMs,
      rollableVersionBits: this.chain.rollableVersionBits,
      chipRollsVersions: this.chain.chipRollsVersions,
      versionsPerWork: this.chain.versionsPerWork,
      ...this.extranonceRange(job),
    });
    this.current = { job, roller };
    if (!this.ready) return;
    const work = roller.next(this.now());
    if (work !== null) this.dispatch(job, work, clean);
  }

  /** This chain's run of a coinbase job's extranonce values (nothing to split for a fixed merkle root). */
  private extranonceRange(job: MiningJob): { extranonceStart?: number; extranonceCount?: number } {
    if (job.header.kind !== 'coinbase' || this.extranonceShare.count === 1) return {};
    const size = job.header.extranonceSize;
    // A pool granting too few bytes for every board to get a value of its own: only the first boards get one.
    if (extranonceSpace(size) < this.extranonceShare.count)
      return { extranonceStart: this.extranonceShare.index, extranonceCount: 1 };
    const r = extranoncePartition(size, this.extranonceShare);
    return { extranonceStart: r.start, extranonceCount: r.count };
  }

  /** The job-dispatch hot path: one broadcast to the chain, the slot for its id re-pointed, no copies. */
  private dispatch(job: MiningJob, work: Work, clean: boolean): void {
    const id = this.chain.sendWork(work);
    if (this.chipJobs++ === 0) this.stats.beginHashing();
    if (clean) this.lastCleanDispatchMs = this.now();
    const slot = this.slots[id];
    if (slot === undefined) {
      this.slots[id] = { template: new HeaderTemplate(work), job, epoch: this.epoch };
    } else {
      slot.template.load(work);
      slot.job = job;
      slot.epoch = this.epoch;
    }
    if (this.listenerCount('work') > 0) this.emit('work', { chipJobId: id, poolJobId: job.jobId, clean, work });
  }

  /** The nonce hot path: rebuild, hash, classify. Allocates only when a share is submitted. */
  private onResult(r: ChipResult): void {
    this.lastResultMs = this.now();
    const slot = this.slots[r.jobId];
    if (slot === undefined) return;
    const words = this.words;
    slot.template.hash(r.version, r.nonce, words);
    let credited = this.ticket.effectiveDifficulty;
    if (!stateWordsMeetTarget(words, this.ticketLimbs)) {
      const old = this.oldTicketLimbs;
      if (old === null || this.now() > this.ticketGraceUntil || !stateWordsMeetTarget(words, old)) {
        this.stats.hardwareError(r.chipIndex);
        this.emit('hardwareError', {
          chipIndex: r.chipIndex,
          chipJobId: r.jobId,
          nonce: r.nonce,
          version: r.version,
          difficulty: difficultyOfStateWords(words),
        });
        return;
      }
      credited = this.oldTicket?.effectiveDifficulty ?? credited;
    }
    const difficulty = difficultyOfStateWords(words);
    const job = slot.job;
    if (stateWordsMeetTarget(words, job.targetLimbs) && stateWordsMeetTarget(words, this.channelLimbs)) {
      if (slot.epoch === this.epoch) this.submit(slot, r, difficulty);
      else this.stats.shareDroppedStale();
    }
    // Bookkeeping after the share is on its way: it is not on the share's path to the pool.
    this.stats.verifiedNonce(r.chipIndex, credited, difficulty);
  }

  private submit(slot: DispatchSlot, r: ChipResult, difficulty: number): void {
    const job = slot.job;
    const work = slot.template.work;
    const extranonce = work.extranonce ?? null;
    let sequenceNumber: number;
    try {
      sequenceNumber = this.submitter.submitShare({
        job,
        nonce: r.nonce,
        ntime: work.ntime,
        version: r.version,
        extranonce,
      });
    } catch (err) {
      this.droppedOffline++;
      this.emit('submitFailed', { reason: err instanceof Error ? err.message : String(err) });
      return;
    }
    this.stats.shareSubmitted();
    this.emit('share', {
      channelId: job.channelId,
      jobId: job.jobId,
      sequenceNumber,
      nonce: r.nonce,
      version: r.version,
      ntime: work.ntime,
      extranonce,
      chipIndex: r.chipIndex,
      difficulty,
      blockFound: difficulty >= difficultyFromTarget(nbitsToTarget(work.nbits)),
    });
  }

  private pickTicket(): TicketChoice {
    return chooseTicket({
      hashrateHs: this.hashrateHs,
      shareDifficulty: difficultyFromTarget(this.channelTarget),
      difficultyScale: this.scale,
      noncesPerSecond: this.noncesPerSecond,
    });
  }

  private retune(): void {
    const next = this.pickTicket();
    if (next.chipDifficulty === this.ticket.chipDifficulty) return;
    const applied = this.chain.setTicketDifficulty(next.chipDifficulty);
    this.oldTicket = this.ticket;
    this.oldTicketLimbs = this.ticketLimbs;
    this.ticketGraceUntil = this.now() + this.ticketGraceMs;
    this.ticket = { chipDifficulty: applied, effectiveDifficulty: applied * this.scale };
    this.ticketLimbs = targetToLimbs(ticketTarget(this.ticket.effectiveDifficulty));
    this.emit('ticket', { ...this.ticket });
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
