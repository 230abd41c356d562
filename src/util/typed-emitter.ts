/**
 * A small typed event emitter: one payload per event, typed per event name. A listener that throws is reported
 * to `onListenerError` instead of unwinding into the socket handler that emitted the event, so a bug in a
 * consumer cannot take a connection (or the daemon) down with it.
 */
import { EventEmitter } from 'node:events';

export class TypedEmitter<E extends object> {
  /** Type-level only (never set): lets helpers recover the event map of a subclass. */
  declare readonly eventMap?: E;
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  on<K extends keyof E & string>(event: K, listener: (payload: E[K]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (payload: E[K]) => void): this {
    this.emitter.once(event, listener);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (payload: E[K]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.emitter.listenerCount(event);
  }

  protected emit<K extends keyof E & string>(event: K, payload: E[K]): void {
    try {
      this.emitter.emit(event, payload);
    } catch (err) {
      this.onListenerError(event, err);
    }
  }

  /** Called when a listener throws; subclasses log it. */
  protected onListenerError(_event: string, _err: unknown): void {}
}
