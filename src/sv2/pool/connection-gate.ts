/**
 * Who gets a connection slot on the local pool, and who loses one. Shared by its SV2 port and its V1 port (it
 * knows nothing of either protocol): each port tells it when a connection arrives, when it becomes ready to mine
 * (an open channel; a subscribed and authorized session), when it submits a share, and when it closes.
 *
 * An attacker on the LAN must not be able to lock miners out by opening connections and doing nothing with them.
 * So no connection is refused only because the pool is full; a newcomer takes the slot of the connection worth
 * least:
 *   1. one that is not mining (no accepted share yet), from the address holding the most connections; within it,
 *      one still in its handshake before one with a channel, the oldest (or longest idle) first;
 *   2. only if every slot is mining: a miner from an address holding at least two more connections than the
 *      newcomer's, the busiest address first — a busy address gives way to a new one, never a lone miner.
 * Busiest-address-first is what keeps a new miner in: its address holds one slot, so while a flood of handshakes
 * and idle channels comes from fewer addresses than the pool has slots, some attacker address always holds more
 * and gives way first. Only when every slot is mining, each from its own address (or the newcomer's address
 * already holds as many), is a newcomer refused.
 *
 * Per address: at most `maxPerAddress` connections (a farm behind one NAT address, or a proxy, needs it raised);
 * one more from the same address replaces that address's least valuable connection the same way, so a miner that
 * reboots often is never locked out by its own stale connections.
 *
 * Deadlines (`sweep`, once a second): a connection not ready within `handshakeTimeoutMs` of its arrival is closed
 * (SV2: Noise, SetupConnection and an open channel; V1: subscribe and authorize); one that submits no share for
 * `idleTimeoutMs` is closed too (a miner finds shares every few seconds at the pool's target).
 */
import type { Clock } from '../clock.js';

export interface GateLimits {
  maxConnections: number;
  maxPerAddress: number;
  /** From arrival to ready. 0 = never. */
  handshakeTimeoutMs: number;
  /** Ready (or mining) with no share for this long. 0 = never. */
  idleTimeoutMs: number;
}

export const DEFAULT_GATE_LIMITS: GateLimits = {
  maxConnections: 64,
  maxPerAddress: 16,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
};

export type SlotStage = 'handshake' | 'ready' | 'mining';

/** Why a connection is closed by the gate: the close code the port uses. */
export type GateCloseCode = 'evicted' | 'handshake-timeout' | 'idle-timeout';

export interface Slot {
  readonly id: number;
  readonly address: string;
  readonly arrivedAtMs: number;
  stage: SlotStage;
  /** Ready, or the last share submitted (accepted or not). */
  lastActivityMs: number;
}

interface SlotEntry extends Slot {
  close(code: GateCloseCode, reason: string): void;
}

export type Admission = { admitted: true; slot: Slot } | { admitted: false; reason: string };

export interface GateStats {
  open: number;
  byStage: Record<SlotStage, number>;
  addresses: number;
  evicted: number;
  refused: number;
  handshakeTimeouts: number;
  idleTimeouts: number;
}

const STAGE_RANK: Record<SlotStage, number> = { handshake: 0, ready: 1, mining: 2 };

/** `::ffff:127.0.0.1` and `127.0.0.1` are one address. */
export function normalizeAddress(address: string | undefined): string {
  if (address === undefined || address === '') return '?';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export class ConnectionGate {
  private readonly slots = new Map<number, SlotEntry>();
  private readonly byAddress = new Map<string, Set<SlotEntry>>();
  private nextId = 0;
  private evicted = 0;
  private refused = 0;
  private handshakeTimeouts = 0;
  private idleTimeouts = 0;

  constructor(
    readonly limits: GateLimits,
    private readonly clock: Clock,
  ) {
    for (const [name, v] of Object.entries(limits)) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a whole number ≥ 0, got ${v}`);
    }
    if (limits.maxConnections < 1 || limits.maxPerAddress < 1) {
      throw new RangeError('maxConnections and maxPerAddress must be at least 1');
    }
  }

  /**
   * A connection arrived from `address`. Admitted (another may be closed first, through its `close`), or refused
   * with the reason (the port drops the socket at once). `close` is how the gate ends this one later.
   */
  admit(address: string, close: (code: GateCloseCode, reason: string) => void): Admission {
    const mine = this.byAddress.get(address);
    const held = mine?.size ?? 0;
    if (held >= this.limits.maxPerAddress) {
      const victim = this.cheapest([...(mine as Set<SlotEntry>)], held);
      if (victim === null) {
        this.refused++;
        return {
          admitted: false,
          reason: `${held} connections from ${address} already mine here (at most ${this.limits.maxPerAddress} per address)`,
        };
      }
      this.evict(
        victim,
        `replaced by a newer connection from ${address} (at most ${this.limits.maxPerAddress} per address)`,
      );
    } else if (this.slots.size >= this.limits.maxConnections) {
      const victim = this.cheapest([...this.slots.values()], held);
      if (victim === null) {
        this.refused++;
        return {
          admitted: false,
          reason: `pool full: ${this.slots.size} connections, every one mining from its own address`,
        };
      }
      this.evict(victim, `the pool is full (${this.limits.maxConnections} connections) and a new one arrived`);
    }
    const now = this.clock.nowMs();
    const entry: SlotEntry = {
      id: ++this.nextId,
      address,
      arrivedAtMs: now,
      stage: 'handshake',
      lastActivityMs: now,
      close,
    };
    this.slots.set(entry.id, entry);
    let set = this.byAddress.get(address);
    if (set === undefined) {
      set = new Set();
      this.byAddress.set(address, set);
    }
    set.add(entry);
    return { admitted: true, slot: entry };
  }

  /** The connection can mine now (an open channel, an authorized subscription). */
  ready(slot: Slot): void {
    if (slot.stage !== 'handshake') return;
    slot.stage = 'ready';
    slot.lastActivityMs = this.clock.nowMs();
  }

  /** A share from this connection; `accepted` ones make it a miner (protected from eviction). */
  share(slot: Slot, accepted: boolean): void {
    slot.lastActivityMs = this.clock.nowMs();
    if (accepted && slot.stage !== 'handshake') slot.stage = 'mining';
  }

  /** The connection closed (idempotent). */
  release(slot: Slot): void {
    const entry = this.slots.get(slot.id);
    if (entry === undefined) return;
    this.slots.delete(slot.id);
    const set = this.byAddress.get(entry.address);
    set?.delete(entry);
    if (set !== undefined && set.size === 0) this.byAddress.delete(entry.address);
  }

  /** Closes what overran its handshake or idle deadline. */
  sweep(): void {
    const now = this.clock.nowMs();
    const { handshakeTimeoutMs: hs, idleTimeoutMs: idle } = this.limits;
    for (const s of [...this.slots.values()]) {
      if (s.stage === 'handshake') {
        if (hs > 0 && now - s.arrivedAtMs >= hs) {
          this.handshakeTimeouts++;
          this.drop(s, 'handshake-timeout', `not ready to mine within ${hs / 1000} s of connecting`);
        }
      } else if (idle > 0 && now - s.lastActivityMs >= idle) {
        this.idleTimeouts++;
        this.drop(s, 'idle-timeout', `no share for ${Math.round((now - s.lastActivityMs) / 1000)} s`);
      }
    }
  }

  stats(): GateStats {
    const byStage: Record<SlotStage, number> = { handshake: 0, ready: 0, mining: 0 };
    for (const s of this.slots.values()) byStage[s.stage]++;
    return {
      open: this.slots.size,
      byStage,
      addresses: this.byAddress.size,
      evicted: this.evicted,
      refused: this.refused,
      handshakeTimeouts: this.handshakeTimeouts,
      idleTimeouts: this.idleTimeouts,
    };
  }

  /**
   * The connection a newcomer (whose address holds `newcomerHeld` now) may replace, or null. Non-miners before
   * miners; then the busiest address; then a handshake before a channel; then the oldest or longest idle. A miner
   * only from an address holding at least two more than the newcomer's.
   */
  private cheapest(candidates: SlotEntry[], newcomerHeld: number): SlotEntry | null {
    let best: SlotEntry | null = null;
    let bestKey: number[] | null = null;
    for (const s of candidates) {
      const held = this.byAddress.get(s.address)?.size ?? 0;
      const mining = s.stage === 'mining';
      if (mining && held < newcomerHeld + 2) continue;
      const key = [
        mining ? 1 : 0,
        -held,
        STAGE_RANK[s.stage],
        s.stage === 'handshake' ? s.arrivedAtMs : s.lastActivityMs,
      ];
      if (bestKey === null || compare(key, bestKey) < 0) {
        best = s;
        bestKey = key;
      }
    }
    return best;
  }

  private evict(victim: SlotEntry, reason: string): void {
    this.evicted++;
    this.drop(victim, 'evicted', reason);
  }

  private drop(s: SlotEntry, code: GateCloseCode, reason: string): void {
    this.release(s);
    s.close(code, reason);
  }
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
