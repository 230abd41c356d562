/**
 * The thermal guard: reads every temperature, judges each sensor, and holds the board's latches.
 *
 * - A failed read or a value outside the plausible window is a sensor failure (temperature unknown); a
 *   reading that stays frozen for `stuckAfterMs` after the fan or the chips' load moved enough that a live
 *   sensor would have followed is "stuck" (temperature suspect). Either is a sensor fault (the fan loop runs
 *   flat out); a temperature unknown for `sensorFailCutMs` while powered latches a hardware fault.
 * - An ASIC reading above the board's `limits.asicTempC.max`, or the regulator above `limits.vrTempC.max`,
 *   latches an overheat. Latches clear only on a restart, and a restart is refused while any reading is
 *   unknown or within `restartHysteresisC` of its limit.
 * The guard decides; the board control acts (cuts power). The clock is injected, so it runs alone in tests.
 */
import type { BoardDefinition } from '../../src/config/board.js';
import type { BoardEvent, BoardLog, Fault, OverheatFault, SafetyPolicy, SensorFault } from './board-types.js';
import { round1 } from './fan-loop.js';
import type { TempRole } from './peripherals.js';

export type ThermalPolicy = Pick<
  SafetyPolicy,
  | 'sensorFailCutMs'
  | 'stuckAfterMs'
  | 'stuckFanDeltaPercent'
  | 'stuckPowerDeltaRatio'
  | 'plausibleMinC'
  | 'plausibleMaxC'
  | 'restartHysteresisC'
>;

export interface ThermalGuardOptions {
  board: BoardDefinition;
  asicSensors: readonly TempRole[];
  vrSensor: TempRole | null;
  now: () => number;
  log: BoardLog;
  policy: ThermalPolicy;
  emit: (e: BoardEvent) => void;
}

/** What a live sensor should have followed since its last change (for stuck-sensor detection). */
export interface ThermalContext {
  fanPercent: number;
  /** A figure that moves with what the chips are asked to do (f × V²; 0 while they do not run). */
  load: number;
  running: boolean;
}

/** What the guard found this period that needs power cut, or null. */
export type ThermalVerdict =
  | { kind: 'overheat'; sensor: string; tempC: number; limitC: number; what: string }
  | { kind: 'sensor-dead'; reason: string }
  | null;

interface SensorHealth {
  value: number | null;
  fanAtChange: number;
  loadAtChange: number;
  runningAtChange: boolean;
  /** When fan or load first moved past the thresholds while the value stayed frozen. */
  movedAtMs: number | null;
  failingSinceMs: number | null;
  problem: string | null;
  /** A read failure or implausible value (unknown temperature) versus a frozen one (suspect). */
  kind: 'failed' | 'stuck' | null;
}

function newHealth(): SensorHealth {
  return {
    value: null,
    fanAtChange: 0,
    loadAtChange: 0,
    runningAtChange: false,
    movedAtMs: null,
    failingSinceMs: null,
    problem: null,
    kind: null,
  };
}

export class ThermalGuard {
  private readonly o: ThermalGuardOptions;
  private readonly health = new Map<TempRole, SensorHealth>();
  private asic: Array<number | null>;
  private vr: number | null = null;
  private overheatLatch: OverheatFault | null = null;
  private hardwareLatch: Fault | null = null;
  private sensorProblem: SensorFault | null = null;

  constructor(options: ThermalGuardOptions) {
    this.o = options;
    this.asic = options.asicSensors.map(() => null);
    for (const t of options.asicSensors) this.health.set(t, newHealth());
    if (options.vrSensor !== null) this.health.set(options.vrSensor, newHealth());
  }

  /** One entry per ASIC sensor (°C); null when the last read failed or is suspect. */
  get asicTemps(): Array<number | null> {
    return [...this.asic];
  }

  /** Hottest valid ASIC reading, or −∞ when none is known. */
  get hottestAsicC(): number {
    return Math.max(...this.asic.map((t) => t ?? Number.NEGATIVE_INFINITY));
  }

  get vrTempC(): number | null {
    return this.vr;
  }

  get overheat(): OverheatFault | null {
    return this.overheatLatch;
  }

  get hardwareFault(): Fault | null {
    return this.hardwareLatch;
  }

  get sensorFault(): SensorFault | null {
    return this.sensorProblem;
  }

  /** Reads every sensor (ASICs first: the overheat decision must not wait behind slower telemetry). */
  async read(context: ThermalContext): Promise<void> {
    const sensors = this.o.asicSensors;
    for (let i = 0; i < sensors.length; i++) this.asic[i] = await this.readSensor(sensors[i], context);
    this.vr = this.o.vrSensor === null ? null : await this.readSensor(this.o.vrSensor, context);
    this.updateSensorFault();
  }

  private async readSensor(t: TempRole, c: ThermalContext): Promise<number | null> {
    const p = this.o.policy;
    const h = this.health.get(t)!;
    const now = this.o.now();
    let problem: string | null = null;
    let kind: SensorHealth['kind'] = null;
    let value: number | null = null;
    try {
      value = await t.read();
      if (!(value >= p.plausibleMinC && value <= p.plausibleMaxC)) {
        problem = `implausible reading ${value} °C`;
        kind = 'failed';
        value = null;
      }
    } catch (err) {
      problem = (err as Error).message;
      kind = 'failed';
    }
    if (value !== null) {
      if (h.value !== value) {
        h.value = value;
        h.fanAtChange = c.fanPercent;
        h.loadAtChange = c.load;
        h.runningAtChange = c.running;
        h.movedAtMs = null;
      } else {
        if (h.movedAtMs === null) {
          const fanMoved = Math.abs(c.fanPercent - h.fanAtChange) >= p.stuckFanDeltaPercent;
          const loadMoved = Math.abs(c.load - h.loadAtChange) > p.stuckPowerDeltaRatio * Math.max(h.loadAtChange, 1e-9);
          if (fanMoved || loadMoved || c.running !== h.runningAtChange) h.movedAtMs = now;
        }
        if (h.movedAtMs !== null && now - h.movedAtMs >= p.stuckAfterMs) {
          const fanMoved = Math.abs(c.fanPercent - h.fanAtChange) >= p.stuckFanDeltaPercent;
          problem = `reading stuck at ${value} °C for ${Math.round((now - h.movedAtMs) / 1000)} s after the ${
            fanMoved ? `fan went ${round1(h.fanAtChange)} % → ${round1(c.fanPercent)} %` : 'chip load changed'
          }`;
          kind = 'stuck';
          value = null;
        }
      }
    }
    if (problem === null) {
      h.failingSinceMs = null;
      h.problem = null;
      h.kind = null;
    } else {
      if (h.kind !== kind) h.failingSinceMs = null;
      h.failingSinceMs ??= now;
      h.problem = problem;
      h.kind = kind;
    }
    return value;
  }

  private updateSensorFault(): void {
    let worst: { sensor: string; problem: string; since: number; kind: 'failed' | 'stuck' } | null = null;
    for (const [t, h] of this.health) {
      if (h.problem === null || h.failingSinceMs === null || h.kind === null) continue;
      // A failure outranks a stuck reading; among equals, the oldest.
      const better =
        worst === null ||
        (h.kind === 'failed' && worst.kind === 'stuck') ||
        (h.kind === worst.kind && h.failingSinceMs < worst.since);
      if (better) worst = { sensor: t.label, problem: h.problem, since: h.failingSinceMs, kind: h.kind };
    }
    if (worst === null) {
      if (this.sensorProblem !== null) {
        this.o.log.info('temperature sensors readable again; fan back to its setting');
        this.sensorProblem = null;
        this.o.emit({ type: 'sensor-fault', reason: null });
      }
      return;
    }
    const reason = `${worst.sensor}: ${worst.problem}`;
    if (this.sensorProblem === null || this.sensorProblem.reason !== reason) {
      const previous = this.sensorProblem;
      const continuing = previous !== null && previous.kind === worst.kind && previous.sensor === worst.sensor;
      this.sensorProblem = {
        sensor: worst.sensor,
        reason,
        kind: worst.kind,
        atMs: continuing ? previous.atMs : worst.since,
      };
      if (!continuing) {
        this.o.log.error(`temperature sensor fault, fan to 100 %: ${reason}`);
        this.o.emit({ type: 'sensor-fault', reason });
      }
    }
  }

  /** Whether this period's readings demand a cut (checked only while the chips are powered). */
  verdict(now: number): ThermalVerdict {
    const { board, asicSensors, vrSensor, policy } = this.o;
    const limit = board.limits.asicTempC.max;
    const hot = asicSensors.findIndex((_, i) => (this.asic[i] ?? Number.NEGATIVE_INFINITY) > limit);
    if (hot >= 0) {
      return { kind: 'overheat', sensor: asicSensors[hot].label, tempC: this.asic[hot]!, limitC: limit, what: 'ASIC' };
    }
    if (this.vr !== null && this.vr > board.limits.vrTempC.max) {
      return {
        kind: 'overheat',
        sensor: vrSensor!.label,
        tempC: this.vr,
        limitC: board.limits.vrTempC.max,
        what: 'voltage regulator',
      };
    }
    const f = this.sensorProblem;
    if (f !== null && f.kind === 'failed' && now - f.atMs >= policy.sensorFailCutMs) {
      return {
        kind: 'sensor-dead',
        reason: `temperature unknown for ${Math.round((now - f.atMs) / 1000)} s (${f.reason}): ASIC power cut`,
      };
    }
    return null;
  }

  /** Latches an overheat (reported in the log and as an event); returns the reason. */
  latchOverheat(o: { sensor: string; tempC: number; limitC: number; what: string }): string {
    const reason = `overheat: ${o.what} ${round1(o.tempC)} °C above ${this.o.board.name}'s limit ${o.limitC} °C (${o.sensor}); ASIC power cut and reset held until a manual restart`;
    this.overheatLatch = { reason, atMs: this.o.now(), sensor: o.sensor, tempC: o.tempC, limitC: o.limitC };
    this.o.log.error(reason);
    this.o.emit({ type: 'overheat', reason });
    return reason;
  }

  /** Latches a stop for a reason other than temperature (fan control failed, sensor dead too long). */
  latchHardwareFault(reason: string): void {
    this.hardwareLatch = { reason, atMs: this.o.now() };
    this.o.log.error(reason);
    this.o.emit({ type: 'hardware-fault', reason });
  }

  /** Why the chips may not be powered at all (a latch, a sensor in doubt), or null. */
  latchBlocker(): string | null {
    if (this.overheatLatch !== null) return `${this.overheatLatch.reason}; restart the board to clear it`;
    if (this.hardwareLatch !== null) return `${this.hardwareLatch.reason}; restart the board to clear it`;
    if (this.sensorProblem !== null) return `not powering the chips blind: ${this.sensorProblem.reason}`;
    return null;
  }

  /** Why the chips may not be powered yet: a reading already above its limit; or null. */
  heatBlocker(): string | null {
    const { board } = this.o;
    const hottest = this.hottestAsicC;
    if (hottest > board.limits.asicTempC.max) {
      return `not powering the chips: ASIC already ${round1(hottest)} °C, above ${board.name}'s limit ${board.limits.asicTempC.max} °C`;
    }
    if (this.vr !== null && this.vr > board.limits.vrTempC.max) {
      return `not powering the chips: regulator already ${round1(this.vr)} °C, above the limit ${board.limits.vrTempC.max} °C`;
    }
    return null;
  }

  /** Why a restart is refused now (a sensor in doubt, still within the hysteresis of a limit), or null. */
  restartBlocker(): string | null {
    if (this.sensorProblem !== null) return `cannot restart: ${this.sensorProblem.reason}`;
    const { board, policy } = this.o;
    const asicMax = board.limits.asicTempC.max - policy.restartHysteresisC;
    const vrMax = board.limits.vrTempC.max - policy.restartHysteresisC;
    const hottest = this.hottestAsicC;
    if (hottest > asicMax) {
      return `cannot restart: ASIC still ${round1(hottest)} °C; restart is allowed below ${asicMax} °C`;
    }
    if (this.vr !== null && this.vr > vrMax) {
      return `cannot restart: voltage regulator still ${round1(this.vr)} °C; allowed below ${vrMax} °C`;
    }
    return null;
  }

  /** Clears both latches; returns what was latched (the overheat first), for the log and the fan. */
  clearLatches(): { overheat: OverheatFault | null; hardwareFault: Fault | null } {
    const was = { overheat: this.overheatLatch, hardwareFault: this.hardwareLatch };
    this.overheatLatch = null;
    this.hardwareLatch = null;
    return was;
  }
}
