/** The logging seam of the SV2 layer: the daemon passes its logger, libraries and tests default to silence. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Sv2Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const noop = (): void => {};
export const silentLogger: Sv2Logger = { debug: noop, info: noop, warn: noop, error: noop };
