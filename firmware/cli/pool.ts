import { readFileSync } from 'node:fs';
import { isQuirkProfileName, QUIRK_PROFILE_NAMES, type QuirkProfileName } from '../../src/sv1/pool/quirk-profiles.js';
import { Sv1Pool, type Sv1PoolStats } from '../../src/sv1/pool/v1-pool.js';
import { formatSv1Url } from '../../src/sv1/url.js';
import { formatSv2Url } from '../../src/sv2/client/url.js';
import { AuthorityKeyError, parseSecretKey } from '../../src/sv2/noise/authority-key.js';
import { LocalPool, type PoolStats } from '../../src/sv2/pool/local-pool.js';
import { DEFAULT_IN_FLIGHT_GRACE_MS } from '../../src/sv2/pool/pool-channel.js';
import { bytesToHex, HexError, hexToBytes } from '../../src/util/hex.js';
import { parseCommandArgs, parseIntInRange, parseNumberInRange } from './args.js';
import { type CliIo, type Command, EXIT_OK, printJson, UsageError, WorkError } from './command.js';

const usage = `Usage: hashaxe pool [--listen HOST:PORT] [--share-rate N/min] [--block-interval SECONDS]
                    [--job-interval SECONDS] [--in-flight-grace SECONDS] [--authority-secret-file PATH]
                    [--cert-validity SECONDS] [--stats-interval SECONDS] [--channels KINDS]
                    [--share-batch N] [--handshake-timeout SECONDS] [--idle-timeout SECONDS]
                    [--max-connections N] [--max-per-address N] [--json]
                    [--listen-v1 HOST:PORT [--v1-profile NAME] [--v1-difficulty D]
                     [--v1-tls-cert FILE --v1-tls-key FILE]]

Runs hashaxe's local Stratum V2 pool: Noise-encrypted, authenticated by a certificate signed with an authority
key it prints, extended channels (as SRI's pool) and standard ones, group channels for a connection with several
extended channels, jobs from a synthetic chain (a random previous hash every --block-interval seconds, a real
coinbase per channel, merkle root or coinbase pieces + merkle path), a target from each channel's nominal hash
rate, and full validation of every share (header rebuilt — an extended share's coinbase from prefix ‖ extranonce
‖ suffix — SHA-256d, target, stale, duplicate). A share of the block just
replaced that was plausibly in flight when it changed (within --in-flight-grace, before the channel's first share
on the new block) is judged, not refused as stale; it counts as accepted work, never as a block. Nothing it finds
is a real block. It runs until interrupted (Ctrl-C / SIGTERM) and then stops cleanly.

With --listen-v1 it also serves Stratum V1 miners (Bitaxe firmware, cgminer, hashaxe) on the SAME chain:
mining.configure (version rolling), subscribe, authorize, suggest_difficulty, vardiff toward --share-rate, and the
same full validation (coinbase rebuilt from coinb1 + extranonce1 + extranonce2 + coinb2, merkle root, header,
SHA-256d against the connection's difficulty, stale, duplicate). --v1-profile makes it talk like a real pool.

  --listen HOST:PORT          where to listen (default 127.0.0.1:34254; port 0 picks a free one)
  --share-rate N/min          target shares per minute per channel (default 6)
  --block-interval S          a new previous hash every S seconds (default 60; 0 = never)
  --job-interval S            new work on the same block every S seconds (default 30; 0 = never)
  --in-flight-grace S         how long after a block change a share of the replaced block still counts as in
                              flight (default 1; 0 = every such share is stale-share, as the SRI pool does)
  --authority-secret-file P   authority secret key (base58check as in SRI configs, or 64 hex digits), so the
                              printed public key stays the same across restarts (default: a new key per run)
  --cert-validity S           lifetime of each handshake's certificate (default 3600)
  --stats-interval S          print statistics every S seconds (default 10; 0 = only when stopping)
  --channels KINDS            channel kinds served: extended,standard (default), extended (standard refused,
                              REQUIRES_EXTENDED_CHANNELS) or standard (extended refused)
  --share-batch N             accepted shares per SubmitShares.Success (default 1; SRI's pool uses 10)
  --handshake-timeout S       a connection must be ready to mine this soon after connecting (SV2: Noise,
                              SetupConnection and an open channel; V1: subscribe and authorize), or it is
                              closed (default 10; 0 = never)
  --idle-timeout S            a connection that submits no share for S seconds is closed (default 300; 0 = never)
  --max-connections N         connections at once, per port (default 64). When full, a newcomer takes the slot
                              of a connection still in its handshake, then of one with no accepted share yet,
                              then of a miner from the address holding the most: a new miner is never locked out
                              by idle connections
  --max-per-address N         connections from one address at once, per port (default 16; raise it for a farm
                              behind one NAT address or a proxy)
  --listen-v1 HOST:PORT       also serve Stratum V1 there (e.g. 127.0.0.1:3333; port 0 picks a free one)
  --v1-profile NAME           how the V1 port talks: ${QUIRK_PROFILE_NAMES.join(', ')} (default public-pool)
  --v1-difficulty D           a V1 connection's first difficulty until vardiff or a suggestion moves it
                              (default: what an emulated 1 MH/s chip needs for --share-rate)
  --v1-tls-cert F, --v1-tls-key F
                              serve the V1 port over TLS (stratum+ssl://) with this PEM certificate and key
  --json                      one JSON object per line: "ready" (authority key, URL, v1Url), "connection",
                              "connectionClosed", "refused", "channelOpened", "v1Ready", "v1Refused", "stats",
                              and "stopped" with final statistics`;

const DEFAULT_PORT = 34254;

/** "HOST:PORT", "[v6]:PORT", optionally with tcp://. */
function parseListen(text: string | undefined, flag = '--listen'): { host: string; port: number } {
  if (text === undefined) return { host: '127.0.0.1', port: DEFAULT_PORT };
  const m = /^(?:tcp:\/\/)?(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/]+)):(\d{1,5})$/.exec(text.trim());
  if (m === null) {
    const example = flag === '--listen' ? '127.0.0.1:34254' : '127.0.0.1:3333';
    throw new UsageError(`${flag} must be HOST:PORT (e.g. ${example}), got ${JSON.stringify(text)}`);
  }
  const port = parseIntInRange(`${flag} port`, m[3], 0, 65535);
  return { host: m[1] ?? m[2], port };
}

/** "20/min", "20 /min", "20" → 20 shares per minute. */
function parseShareRate(text: string | undefined): number {
  if (text === undefined) return 6;
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*(?:\/\s*min)?\s*$/i.exec(text);
  const value = m === null ? Number.NaN : Number(m[1]);
  if (!(value > 0 && value <= 6000)) {
    throw new UsageError(`--share-rate must be N/min with 0 < N ≤ 6000, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** Seconds → milliseconds; 0 turns the timer off, anything else must be at least 0.1 s. */
function parseInterval(name: string, text: string | undefined, fallbackSec: number): number {
  if (text === undefined) return fallbackSec * 1000;
  const sec = parseNumberInRange(name, text, 0, 86_400);
  if (sec > 0 && sec < 0.1) throw new UsageError(`${name} must be 0 (never) or at least 0.1 seconds, got ${sec}`);
  return Math.round(sec * 1000);
}

function readAuthoritySecret(path: string | undefined): Uint8Array | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`--authority-secret-file ${JSON.stringify(path)} cannot be read (${code})`);
  }
  try {
    return /^(0x)?[0-9a-fA-F]{64}$/.test(text) ? hexToBytes(text, 32) : parseSecretKey(text);
  } catch (err) {
    if (err instanceof AuthorityKeyError || err instanceof HexError) {
      throw new UsageError(`--authority-secret-file ${JSON.stringify(path)}: ${err.message}`);
    }
    throw err;
  }
}

/** "extended,standard" (either order), "extended" or "standard". */
function parseChannelKinds(text: string | undefined): { extended: boolean; standard: boolean } {
  if (text === undefined) return { extended: true, standard: true };
  const parts = text.split(',').map((p) => p.trim());
  const ok = parts.length > 0 && parts.length <= 2 && parts.every((p) => p === 'extended' || p === 'standard');
  if (!ok || new Set(parts).size !== parts.length) {
    throw new UsageError(`--channels must be extended,standard, extended or standard, got ${JSON.stringify(text)}`);
  }
  return { extended: parts.includes('extended'), standard: parts.includes('standard') };
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

function statsLine(s: PoolStats): Record<string, unknown> {
  return {
    connections: s.connections,
    framesReceived: s.framesReceived,
    shares: s.shares,
    seenShares: s.seenShares,
    chain: s.chain,
    channels: s.channels.map((c) => ({
      channelId: c.channelId,
      kind: c.kind,
      groupChannelId: c.groupChannelId,
      connectionId: c.connectionId,
      userIdentity: c.userIdentity,
      open: c.open,
      nominalHashRateHs: c.nominalHashRateHs,
      difficulty: c.difficulty,
      accepted: c.accepted,
      acceptedInFlight: c.acceptedInFlight,
      rejected: c.rejected,
      rejectedByCode: c.rejectedByCode,
      blocksFound: c.blocksFound,
    })),
    channelBitMismatches: s.channelBitMismatches,
  };
}

function v1StatsLine(s: Sv1PoolStats): Record<string, unknown> {
  return {
    profile: s.profile,
    connections: s.connections,
    shares: s.shares,
    sessions: s.sessions,
  };
}

function v1StatsText(s: Sv1PoolStats): string {
  const rejected = Object.entries(s.shares.rejectedByReason)
    .map(([why, n]) => `${why} ${n}`)
    .join(', ');
  return (
    `; V1: ${s.connections.open} connection(s) open (${s.connections.total} total), ` +
    `${s.shares.accepted} share(s) accepted, ${s.shares.rejected} rejected${rejected ? ` (${rejected})` : ''}`
  );
}

function readTextFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `${flag} ${JSON.stringify(path)} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

function statsText(s: PoolStats): string {
  const rejected = Object.entries(s.shares.rejectedByCode)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  return (
    `${s.connections.open} connection(s) open (${s.connections.total} total` +
    `${s.connections.gate.byStage.handshake > 0 ? `, ${s.connections.gate.byStage.handshake} in their handshake` : ''}` +
    `${s.connections.refused > 0 ? `, ${s.connections.refused} refused` : ''}), ` +
    `${s.channels.filter((c) => c.open).length} channel(s), ${s.shares.accepted} share(s) accepted` +
    `${s.shares.acceptedInFlight > 0 ? ` (${s.shares.acceptedInFlight} in flight across a block change)` : ''}, ` +
    `${s.shares.rejected} rejected${rejected ? ` (${rejected})` : ''}, chain height ${s.chain.height}`
  );
}

export const pool: Command = {
  path: ['pool'],
  summary: 'run the local Stratum V2 pool, and with --listen-v1 a V1 port (synthetic chain; prints its authority key)',
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        listen: { type: 'string' },
        'share-rate': { type: 'string' },
        channels: { type: 'string' },
        'share-batch': { type: 'string' },
        'handshake-timeout': { type: 'string' },
        'idle-timeout': { type: 'string' },
        'max-connections': { type: 'string' },
        'max-per-address': { type: 'string' },
        'block-interval': { type: 'string' },
        'job-interval': { type: 'string' },
        'in-flight-grace': { type: 'string' },
        'authority-secret-file': { type: 'string' },
        'cert-validity': { type: 'string' },
        'stats-interval': { type: 'string' },
        'listen-v1': { type: 'string' },
        'v1-profile': { type: 'string' },
        'v1-difficulty': { type: 'string' },
        'v1-tls-cert': { type: 'string' },
        'v1-tls-key': { type: 'string' },
        json: { type: 'boolean' },
      },
      false,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const { host, port } = parseListen(values.listen);
    const sharesPerMinute = parseShareRate(values['share-rate']);
    const prevHashIntervalMs = parseInterval('--block-interval', values['block-interval'], 60);
    const jobIntervalMs = parseInterval('--job-interval', values['job-interval'], 30);
    const inFlightGraceMs =
      values['in-flight-grace'] === undefined
        ? DEFAULT_IN_FLIGHT_GRACE_MS
        : Math.round(parseNumberInRange('--in-flight-grace', values['in-flight-grace'], 0, 60) * 1000);
    const statsIntervalMs = parseInterval('--stats-interval', values['stats-interval'], 10);
    const certificateValiditySec =
      values['cert-validity'] === undefined
        ? 3600
        : parseIntInRange('--cert-validity', values['cert-validity'], 60, 10 * 365 * 86_400);
    const authoritySecretKey = readAuthoritySecret(values['authority-secret-file']);
    const kinds = parseChannelKinds(values.channels);
    const shareBatchSize =
      values['share-batch'] === undefined ? 1 : parseIntInRange('--share-batch', values['share-batch'], 1, 1000);
    const handshakeTimeoutMs = parseInterval('--handshake-timeout', values['handshake-timeout'], 10);
    const idleTimeoutMs = parseInterval('--idle-timeout', values['idle-timeout'], 300);
    const maxConnections =
      values['max-connections'] === undefined
        ? 64
        : parseIntInRange('--max-connections', values['max-connections'], 1, 100_000);
    const maxConnectionsPerAddress =
      values['max-per-address'] === undefined
        ? 16
        : parseIntInRange('--max-per-address', values['max-per-address'], 1, 100_000);
    const doors = { handshakeTimeoutMs, idleTimeoutMs, maxConnections, maxConnectionsPerAddress };
    const json = values.json === true;
    const v1Listen = values['listen-v1'] === undefined ? null : parseListen(values['listen-v1'], '--listen-v1');
    const v1Only = ['v1-profile', 'v1-difficulty', 'v1-tls-cert', 'v1-tls-key'] as const;
    for (const flag of v1Only) {
      if (values[flag] !== undefined && v1Listen === null)
        throw new UsageError(`--${flag} needs --listen-v1 HOST:PORT`);
    }
    let v1Profile: QuirkProfileName = 'public-pool';
    if (values['v1-profile'] !== undefined) {
      if (!isQuirkProfileName(values['v1-profile'])) {
        throw new UsageError(
          `--v1-profile must be one of ${QUIRK_PROFILE_NAMES.join(', ')}, got ${JSON.stringify(values['v1-profile'])}`,
        );
      }
      v1Profile = values['v1-profile'];
    }
    const v1Difficulty =
      values['v1-difficulty'] === undefined
        ? undefined
        : parseNumberInRange('--v1-difficulty', values['v1-difficulty'], 0, 2 ** 64);
    if (v1Difficulty !== undefined && !(v1Difficulty >= 2 ** -32)) {
      throw new UsageError('--v1-difficulty must be at least 2^-32 (every hash a share)');
    }
    if ((values['v1-tls-cert'] === undefined) !== (values['v1-tls-key'] === undefined)) {
      throw new UsageError('--v1-tls-cert and --v1-tls-key go together');
    }
    const v1Tls =
      values['v1-tls-cert'] !== undefined && values['v1-tls-key'] !== undefined
        ? {
            cert: readTextFile('--v1-tls-cert', values['v1-tls-cert']),
            key: readTextFile('--v1-tls-key', values['v1-tls-key']),
          }
        : null;

    let local: LocalPool;
    try {
      local = await LocalPool.start({
        host,
        port,
        sharesPerMinute,
        prevHashIntervalMs,
        jobIntervalMs,
        inFlightGraceMs,
        certificateValiditySec,
        authoritySecretKey,
        extendedChannels: kinds.extended,
        standardChannels: kinds.standard,
        shareBatchSize,
        ...doors,
      });
    } catch (err) {
      if (err instanceof RangeError) throw new UsageError(`--authority-secret-file: ${err.message}`);
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'EADDRINUSE' ? 'address already in use' : (e.code ?? e.message);
      throw new WorkError(`cannot listen on ${host}:${port}: ${why}`);
    }
    let v1: Sv1Pool | null = null;
    if (v1Listen !== null) {
      try {
        v1 = await Sv1Pool.start({
          feed: local,
          host: v1Listen.host,
          port: v1Listen.port,
          profile: v1Profile,
          sharesPerMinute,
          inFlightGraceMs,
          tls: v1Tls,
          ...doors,
          ...(v1Difficulty !== undefined ? { startDifficulty: v1Difficulty } : {}),
        });
      } catch (err) {
        await local.close();
        const e = err as NodeJS.ErrnoException;
        const why = e.code === 'EADDRINUSE' ? 'address already in use' : (e.code ?? e.message);
        throw new WorkError(`cannot listen on ${v1Listen.host}:${v1Listen.port}: ${why}`);
      }
    }
    // A wildcard address is no use in a URL: show the loopback one (other machines use this host's address).
    const urlHost = WILDCARD_HOSTS.has(host) ? '127.0.0.1' : host;
    const url = formatSv2Url(urlHost, local.port, local.authorityKeyText);
    const v1Url =
      v1 === null || v1Listen === null
        ? null
        : formatSv1Url(WILDCARD_HOSTS.has(v1Listen.host) ? '127.0.0.1' : v1Listen.host, v1.port, v1Tls !== null);
    if (json) {
      printJson(io, {
        event: 'ready',
        host,
        port: local.port,
        authorityKey: local.authorityKeyText,
        authorityKeyHex: bytesToHex(local.authorityPublicKey),
        url,
        sharesPerMinute,
        blockIntervalSec: prevHashIntervalMs / 1000,
        jobIntervalSec: jobIntervalMs / 1000,
        inFlightGraceSec: inFlightGraceMs / 1000,
        certificateValiditySec,
        channels: [...(kinds.extended ? ['extended'] : []), ...(kinds.standard ? ['standard'] : [])],
        shareBatchSize,
        handshakeTimeoutSec: handshakeTimeoutMs / 1000,
        idleTimeoutSec: idleTimeoutMs / 1000,
        maxConnections,
        maxConnectionsPerAddress,
        ...(v1 !== null
          ? { v1Url, v1Port: v1.port, v1Profile, v1StartDifficulty: v1.startDifficulty, v1Tls: v1Tls !== null }
          : {}),
      });
    } else {
      io.stdout(
        [
          `hashaxe pool: local Stratum V2 pool on ${host}:${local.port} (synthetic chain: no real blocks)`,
          `  authority public key: ${local.authorityKeyText}`,
          `  miners connect to:    ${url}${WILDCARD_HOSTS.has(host) ? '  (other machines: use this host’s address)' : ''}`,
          ...(v1 !== null
            ? [`  Stratum V1 miners:    ${v1Url}  (talks like ${v1Profile}; same chain, vardiff toward the share rate)`]
            : []),
          `  ${sharesPerMinute} share(s)/min per channel, ` +
            `new block ${prevHashIntervalMs > 0 ? `every ${prevHashIntervalMs / 1000} s` : 'never'}, ` +
            `new job ${jobIntervalMs > 0 ? `every ${jobIntervalMs / 1000} s` : 'never'}; Ctrl-C stops`,
          '',
        ].join('\n'),
      );
    }
    local.on('connection', (c) => {
      if (json) printJson(io, { event: 'connection', ...c });
      else io.stdout(`connection ${c.connectionId} from ${c.remote}\n`);
    });
    local.on('refused', (r) => {
      if (json) printJson(io, { event: 'refused', ...r });
      else io.stdout(`connection from ${r.remote} refused: ${r.reason}\n`);
    });
    v1?.on('refused', (r) => {
      if (json) printJson(io, { event: 'v1Refused', ...r });
      else io.stdout(`V1 connection from ${r.remote} refused: ${r.reason}\n`);
    });
    local.on('connectionClosed', (c) => {
      if (json) printJson(io, { event: 'connectionClosed', ...c });
      else io.stdout(`connection ${c.connectionId} closed (${c.code}): ${c.message}\n`);
    });
    local.on('channelOpened', (c) => {
      if (json) {
        printJson(io, {
          event: 'channelOpened',
          channelId: c.channelId,
          kind: c.kind,
          groupChannelId: c.groupChannelId,
          connectionId: c.connectionId,
          userIdentity: c.userIdentity,
          nominalHashRateHs: c.nominalHashRateHs,
          difficulty: c.difficulty,
        });
      } else {
        io.stdout(
          `${c.kind} channel ${c.channelId}${c.groupChannelId !== 0 ? ` (group ${c.groupChannelId})` : ''} opened for ${JSON.stringify(c.userIdentity)} ` +
            `(${c.nominalHashRateHs} H/s, difficulty ${c.difficulty.toPrecision(4)})\n`,
        );
      }
    });
    v1?.on('ready', (r) => {
      if (json) printJson(io, { event: 'v1Ready', ...r });
      else
        io.stdout(
          `V1 connection ${r.sessionId} mining as ${JSON.stringify(r.user)} (difficulty ${r.difficulty.toPrecision(4)})\n`,
        );
    });
    v1?.on('connectionClosed', (c) => {
      if (json) printJson(io, { event: 'v1ConnectionClosed', ...c });
      else io.stdout(`V1 connection ${c.sessionId} closed (${c.code}): ${c.message}\n`);
    });
    const report = (event: 'stats' | 'stopped'): void => {
      const s = local.stats();
      const s1 = v1?.stats() ?? null;
      if (json) printJson(io, { event, ...statsLine(s), ...(s1 !== null ? { v1: v1StatsLine(s1) } : {}) });
      else
        io.stdout(
          `${event === 'stopped' ? 'stopped' : 'stats'}: ${statsText(s)}${s1 !== null ? v1StatsText(s1) : ''}\n`,
        );
    };
    const timer = statsIntervalMs > 0 ? setInterval(() => report('stats'), statsIntervalMs) : null;
    try {
      if (!io.signal.aborted) {
        await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
      }
    } finally {
      if (timer !== null) clearInterval(timer);
      await v1?.close();
      await local.close();
      report('stopped');
    }
    return EXIT_OK;
  },
};
