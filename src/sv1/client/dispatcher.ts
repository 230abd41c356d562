/**
 * Routes what a V1 pool sends on its own initiative (notifications and requests) to the client's handlers, by
 * method name through one table: each entry decodes the params with its method definition (messages.ts), so a
 * malformed message is refused before any handler sees it, with the field named.
 *
 * Answers to our own requests do not come through here: they are matched by id (see the client).
 */
import type { Sv1Id, Sv1Request } from '../json-rpc.js';
import {
  GetVersion,
  Notify,
  Ping,
  Reconnect,
  SetDifficulty,
  SetExtranonce,
  SetVersionMask,
  ShowMessage,
} from '../messages.js';

export interface PoolMessageHandlers {
  notify(message: Notify): void;
  setDifficulty(message: SetDifficulty): void;
  setExtranonce(message: SetExtranonce): void;
  /** Never answered, whatever its id (Braiins sends it with id null, ESP-Miner's tests with a number). */
  setVersionMask(message: SetVersionMask): void;
  reconnect(message: Reconnect): void;
  /** Answer with `result: "pong"` when `id` is not null. */
  ping(id: Sv1Id | null): void;
  showMessage(message: ShowMessage): void;
  /** Answer with the user agent when `id` is not null. */
  getVersion(id: Sv1Id | null): void;
  unknown(method: string, id: Sv1Id | null): void;
}

type Route = (h: PoolMessageHandlers, params: readonly unknown[], id: Sv1Id | null) => void;

const ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  [Notify.method, (h, p) => h.notify(Notify.decode(p))],
  [SetDifficulty.method, (h, p) => h.setDifficulty(SetDifficulty.decode(p))],
  [SetExtranonce.method, (h, p) => h.setExtranonce(SetExtranonce.decode(p))],
  [SetVersionMask.method, (h, p) => h.setVersionMask(SetVersionMask.decode(p))],
  [Reconnect.method, (h, p) => h.reconnect(Reconnect.decode(p))],
  [
    Ping.method,
    (h, p, id) => {
      Ping.decode(p);
      h.ping(id);
    },
  ],
  [ShowMessage.method, (h, p) => h.showMessage(ShowMessage.decode(p))],
  [
    GetVersion.method,
    (h, p, id) => {
      GetVersion.decode(p);
      h.getVersion(id);
    },
  ],
]);

/** Hands one pool message to its handler; throws Sv1ProtocolError('bad-params') when its params do not fit. */
export function dispatchPoolMessage(request: Sv1Request, handlers: PoolMessageHandlers): void {
  const route = ROUTES.get(request.method);
  if (route === undefined) {
    handlers.unknown(request.method, request.id);
    return;
  }
  route(handlers, request.params, request.id);
}

/** Methods a pool may send, for tests and inspection. */
export const POOL_METHODS: readonly string[] = [...ROUTES.keys()];
