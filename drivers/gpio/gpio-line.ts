/**
 * One GPIO output the board control drives: the ASIC reset or the core-power enable. Callers speak in
 * asserted / released ("reset asserted" holds the chips in reset, "power-enable asserted" powers the
 * core); the backend turns that into a physical level using the line's polarity.
 */
export interface GpioLine {
  /** For logs: "reset (BCM 22, active low)". */
  readonly label: string;
  /** The level last driven (true = asserted). */
  readonly active: boolean;
  /** Drives the line; resolves once the level is applied. */
  set(active: boolean): Promise<void>;
  /** Releases the line (its level afterwards depends on the backend and the board's pulls). */
  close(): Promise<void>;
}

export interface GpioLineRequest {
  /** BCM line number (the offset on the Pi's main GPIO controller). */
  readonly line: number;
  readonly activeLow: boolean;
  /** Level to drive from the moment the line is requested, so opening it never glitches the board. */
  readonly initialActive: boolean;
  /** What the line does, for logs and the consumer label ("reset", "power-enable"). */
  readonly name: string;
  /** Character-device chip ("gpiochip0"), or "auto" to find the line by its name GPIO<n>. */
  readonly chip: string;
}

/** The physical level (0/1) that means `active` on a line of this polarity. */
export function physicalLevel(active: boolean, activeLow: boolean): 0 | 1 {
  return active !== activeLow ? 1 : 0;
}

export function describeLine(req: Pick<GpioLineRequest, 'name' | 'line' | 'activeLow'>): string {
  return `${req.name} (BCM ${req.line}, active ${req.activeLow ? 'low' : 'high'})`;
}

/** No way to drive GPIO on this machine, or the line could not be requested; the message says what to do. */
export class GpioError extends Error {
  override readonly name = 'GpioError';
}
