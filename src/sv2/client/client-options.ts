/**
 * The mining client's options checked before anything connects: a bad URL, authority key, channel choice,
 * extranonce size, version mask or hash rate is Sv2ClientError('config') naming what is wrong, so a daemon refuses
 * a bad pool entry at start instead of failing on the wire later.
 */
import { BIP323_VERSION_MASK } from '../channel/version-rolling.js';
import { MAX_EXTRANONCE_LEN } from '../messages/mining.js';
import { parseAuthorityKey } from '../noise/authority-key.js';
import { type ChannelChoice, type MiningClientOptions, Sv2ClientError } from './mining-client-types.js';
import { parseSv2Url } from './url.js';

/** Extranonce bytes asked for on an extended channel when the options do not say. */
export const DEFAULT_MIN_EXTRANONCE_SIZE = 4;

export interface CheckedClientOptions {
  host: string;
  port: number;
  /** Null: trust on first use (only with allowUnauthenticated). */
  authorityKey: Uint8Array | null;
  choice: ChannelChoice;
  minExtranonceSize: number;
}

function configError(err: unknown): Sv2ClientError {
  return new Sv2ClientError('config', err instanceof Error ? err.message : String(err));
}

export function checkClientOptions(options: MiningClientOptions): CheckedClientOptions {
  const choice = options.channel ?? 'auto';
  if (!['auto', 'extended', 'standard'].includes(choice)) {
    throw new Sv2ClientError('config', `channel must be extended, standard or auto, got ${String(choice)}`);
  }
  const minExtranonceSize = options.minExtranonceSize ?? DEFAULT_MIN_EXTRANONCE_SIZE;
  if (!Number.isInteger(minExtranonceSize) || minExtranonceSize < 0 || minExtranonceSize > MAX_EXTRANONCE_LEN) {
    throw new Sv2ClientError(
      'config',
      `minExtranonceSize must be 0..${MAX_EXTRANONCE_LEN} bytes, got ${minExtranonceSize}`,
    );
  }
  const mask = options.versionRollingMask;
  if (mask !== undefined && (!Number.isInteger(mask) || (mask & ~BIP323_VERSION_MASK) !== 0)) {
    throw new Sv2ClientError(
      'config',
      `versionRollingMask 0x${(mask >>> 0).toString(16)} has bits outside BIP323's 0x1fffffe0, which no SV2 pool accepts`,
    );
  }
  let endpoint: ReturnType<typeof parseSv2Url>;
  try {
    endpoint = parseSv2Url(options.url);
  } catch (err) {
    throw configError(err);
  }
  let key = endpoint.authorityKey;
  if (options.authorityKey !== undefined) {
    try {
      key =
        typeof options.authorityKey === 'string'
          ? parseAuthorityKey(options.authorityKey)
          : options.authorityKey.slice();
    } catch (err) {
      throw configError(err);
    }
    if (key.length !== 32) throw new Sv2ClientError('config', 'authority key must be a 32-byte x-only key');
  }
  if (key === null && !options.allowUnauthenticated) {
    throw new Sv2ClientError(
      'config',
      `no authority key for ${endpoint.host}:${endpoint.port}: add it to the URL (sv2+tcp://host:port/<key>) or set ` +
        'allowUnauthenticated for a pool on your own LAN',
    );
  }
  if (!Number.isFinite(options.nominalHashRateHs) || options.nominalHashRateHs < 0) {
    throw new Sv2ClientError('config', `nominal hash rate must be ≥ 0 H/s, got ${options.nominalHashRateHs}`);
  }
  return { host: endpoint.host, port: endpoint.port, authorityKey: key, choice, minExtranonceSize };
}
