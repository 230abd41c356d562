import { readFileSync } from 'node:fs';
import { AddressError, parseAddress, parseChain } from '../../src/bitcoin/address.js';
import { loadBoard } from '../../src/config/board-loader.js';
import { BoardConfigError } from '../../src/config/board-validate.js';
import { ConfigFieldError } from '../../src/config/json-reader.js';
import {
  CHANNEL_CHOICES,
  checkSettingsForBoard,
  DEFAULT_MINER_CONFIG,
  DEFAULT_SOLO_CONFIG,
  isSv2Url,
  loadMinerConfig,
  type MinerConfig,
  POOL_URL_HINT,
  type PoolSpec,
  parsePortSpec,
  poolProtocol,
  soloProblem,
} from '../../src/config/miner-config.js';
import { pemProblem } from '../../src/sv1/client/tls-trust.js';
import { parseSv1Url } from '../../src/sv1/url.js';
import { parseAuthorityKey } from '../../src/sv2/noise/authority-key.js';
import { hasControlCharacter } from '../../src/util/printable.js';
import { parseHashrate, parseScale } from '../../src/util/units.js';
import { isLoopback } from '../api/access.js';
import type { BoardLog } from '../board/board-control.js';
import { Miner, MinerStartError, type PeripheralsMode } from '../daemon/miner.js';
import { StatusReporter } from '../daemon/status-line.js';
import { parseCommandArgs, parseIntInRange, parseNumberInRange } from './args.js';
import { type CliIo, type Command, EXIT_OK, oneLine, printJson, UsageError, WorkError } from './command.js';
import { packageVersion } from './version.js';

const usage = `Usage: hashaxe mine [--board NAME|FILE] [--port PATH|tcp://HOST:PORT|emulated]
                    [--pool URL|local|local-v1] [--authority KEY] [--user NAME] [--password P]
                    [--suggest-difficulty D] [--tls-ca FILE]
                    [--config FILE] [--duration SECONDS] [--json]
                    [--peripherals auto|hardware|emulated|none] [--difficulty-scale S] [--hashrate H/s]
                    [--frequency MHz] [--voltage mV] [--api-port PORT] [--api-host HOST] [--no-api]
                    [--state FILE]
       hashaxe mine --solo --node http://[USER:PASS@]HOST:PORT|local [--rpc-cookie FILE] --payout ADDRESS ...
       hashaxe mine --solo --template-provider sv2+tcp://HOST:PORT/KEY|local [--network CHAIN] --payout ADDRESS ...

Runs the miner: powers the board, brings up its ASIC chain, takes work from a Stratum V2 pool over Noise or a
Stratum V1 pool (TCP or TLS), checks every nonce the chips return with SHA-256d and submits the shares. With no options it runs the
embedded default: an emulated Bitaxe Ultra (bitaxe-ultra, 1× BM1366, hashing for real on the CPU behind a
pseudo-terminal) mining on a local SV2 pool started in the same process.

Real hardware: --board NAME (boards/*.json or a file) and --port /dev/ttyAMA0 (the board's UART; the I2C
and GPIO parts are opened from the board file), --pool sv2+tcp://HOST:PORT/AUTHORITY_KEY and --user WORKER.
A config file (--config) holds the same and more (several pools for failover, settings, API token).

  --board NAME|FILE       board definition (default bitaxe-ultra)
  --port P                emulated (default) | board (the board file's UART) | a serial device or pty |
                          tcp://HOST:PORT (ser2net)
  --pool URL|local|local-v1
                          a pool, repeatable (failover order, V1 and V2 mixed): sv2+tcp://HOST:PORT/KEY,
                          stratum+tcp://HOST:PORT, or stratum+ssl://HOST:PORT (TLS, checked against the system
                          CA store); local = the embedded pool over SV2 (default), local-v1 = the same over V1
  --authority KEY         SV2 pool authority public key (base58check), if not in the URL
  --user NAME             worker name for the pool (default hashaxe; V1: usually ADDRESS.WORKER)
  --password P            V1 pools: mining.authorize's password (default x)
  --suggest-difficulty D  V1 pools: ask for this share difficulty (mining.suggest_difficulty; fractions allowed)
  --tls-ca FILE           stratum+ssl:// pools: also trust this PEM certificate (a pool with a self-signed one)
  --channel KIND          SV2 channel: extended, standard or auto (default: extended, falling back to standard
                          if the pool refuses it, and the other way round); applies to every SV2 pool
  --peripherals MODE      fan/sensors/regulator/reset: auto (emulated with --port emulated, hardware with
                          board, /dev/tty* and /dev/serial*, none otherwise), hardware, emulated or none
  --difficulty-scale S    chips behind --port report at ticket × S (an external \`hashaxe emulate\` prints it)
  --hashrate H/s          what emulated chips really hash (default 1M; an external emulator prints it)
  --frequency MHz, --voltage mV   start settings, within the board's limits
  --api-port PORT         HTTP API and dashboard port (default 4028; 80 for AxeOS swarm pages and pyasic; 0 picks one)
  --api-host HOST         address to serve it on (default 127.0.0.1; any other needs api.token in the config)
  --no-api                no HTTP API
  --state FILE            keep the all-time best difficulty (the API's bestDiff) and the blocks found here
Solo on your own templates (any --pool becomes a backup):
  --solo                  mine solo: blocks pay --payout, templates from --node or --template-provider
  --node URL|local        Bitcoin Core JSON-RPC, http://USER:PASS@127.0.0.1:8332; local = an embedded
                          synthetic regtest node that validates every block
  --rpc-cookie FILE       log in with Core's cookie file instead of USER:PASS (e.g. ~/.bitcoin/.cookie)
  --template-provider URL|local   an SV2 Template Provider (sv2-tp), sv2+tcp://HOST:PORT/AUTHORITY_KEY
  --network CHAIN         main, test, testnet4, signet or regtest: the chain a template provider serves
                          (default: from its port, else main); a node's is checked against it
  --payout ADDRESS        who the blocks pay (bc1…, 1…, 3…; tb1…/bcrt1… on test chains), checked against
                          the node's chain before mining
  --duration SECONDS      stop after this long (graceful shutdown) and print a summary
  --json                  no live status; with --duration one JSON summary line at the end
Stops gracefully on SIGINT/SIGTERM: work stopped, channel closed, chips powered down and held in reset.`;

interface MineFlags {
  config?: string;
  board?: string;
  port?: string;
  pool?: string[];
  authority?: string;
  user?: string;
  channel?: string;
  password?: string;
  'suggest-difficulty'?: string;
  'tls-ca'?: string;
  peripherals?: string;
  'difficulty-scale'?: string;
  hashrate?: string;
  frequency?: string;
  voltage?: string;
  'api-port'?: string;
  'api-host'?: string;
  'no-api'?: boolean;
  state?: string;
  duration?: string;
  json?: boolean;
  solo?: boolean;
  node?: string;
  'rpc-cookie'?: string;
  'template-provider'?: string;
  payout?: string;
  network?: string;
}

/** The config file (if any) with the flags applied on top; every value checked, errors name the flag or field. */
export function resolveMinerConfig(flags: MineFlags): MinerConfig {
  const config = flags.config !== undefined ? loadMinerConfig(flags.config) : structuredClone(DEFAULT_MINER_CONFIG);
  if (flags.board !== undefined) config.board = flags.board;
  if (flags.port !== undefined) {
    const port = parsePortSpec(flags.port);
    if (typeof port === 'string') throw new UsageError(`--port ${port}, got ${JSON.stringify(flags.port)}`);
    config.port = port;
  }
  if (flags.user !== undefined) {
    if (!/^[\x21-\x7e]{1,255}$/.test(flags.user))
      throw new UsageError('--user must be 1 to 255 printable ASCII characters');
    config.user = flags.user;
  }
  if (flags.pool !== undefined) {
    if (flags.pool.length === 1 && (flags.pool[0] === 'local' || flags.pool[0] === 'local-v1')) {
      config.pools = [];
      config.localPool.protocol = flags.pool[0] === 'local-v1' ? 'sv1' : 'sv2';
    } else {
      config.pools = flags.pool.map((url) => {
        if (poolProtocol(url) === null) {
          let why = '';
          if (/^stratum\+/i.test(url)) {
            try {
              parseSv1Url(url);
            } catch (err) {
              why = ` (${(err as Error).message})`;
            }
          }
          throw new UsageError(`--pool must be ${POOL_URL_HINT}, local or local-v1, got ${JSON.stringify(url)}${why}`);
        }
        return { url, user: null, authorityKey: null, channel: null };
      });
    }
  }
  if (flags.channel !== undefined) {
    const choice = CHANNEL_CHOICES.find((c) => c === flags.channel);
    if (choice === undefined) {
      throw new UsageError(`--channel must be extended, standard or auto, got ${JSON.stringify(flags.channel)}`);
    }
    config.channel = choice;
    config.pools = config.pools.map((p) => (poolProtocol(p.url) === 'sv2' ? { ...p, channel: choice } : p));
  }
  const v1Pools = (): PoolSpec[] => config.pools.filter((p) => poolProtocol(p.url) === 'sv1');
  if (flags.authority !== undefined) {
    try {
      parseAuthorityKey(flags.authority);
    } catch (err) {
      throw new UsageError(`--authority: ${(err as Error).message}`);
    }
    if (config.pools.length === 0) throw new UsageError('--authority needs a --pool (the local pool has its own key)');
    config.pools = config.pools.map((p) =>
      poolProtocol(p.url) === 'sv2' ? { ...p, authorityKey: flags.authority ?? null } : p,
    );
  }
  if (flags.password !== undefined) {
    if (flags.password.length > 255 || hasControlCharacter(flags.password)) {
      throw new UsageError('--password must be up to 255 printable characters');
    }
    if (v1Pools().length === 0) throw new UsageError('--password is for Stratum V1 pools (--pool stratum+tcp://…)');
    config.pools = config.pools.map((p) => (poolProtocol(p.url) === 'sv1' ? { ...p, password: flags.password } : p));
  }
  if (flags['suggest-difficulty'] !== undefined) {
    const d = parseNumberInRange('--suggest-difficulty', flags['suggest-difficulty'], 0, 1e15);
    if (!(d > 0)) throw new UsageError('--suggest-difficulty must be above 0');
    if (v1Pools().length === 0) {
      throw new UsageError('--suggest-difficulty is for Stratum V1 pools (--pool stratum+tcp://…)');
    }
    config.pools = config.pools.map((p) => (poolProtocol(p.url) === 'sv1' ? { ...p, suggestDifficulty: d } : p));
  }
  if (flags['tls-ca'] !== undefined) {
    const tlsPools = v1Pools().filter((p) => parseSv1Url(p.url).tls);
    if (tlsPools.length === 0) throw new UsageError('--tls-ca is for TLS pools (--pool stratum+ssl://…)');
    config.pools = config.pools.map((p) =>
      poolProtocol(p.url) === 'sv1' && parseSv1Url(p.url).tls ? { ...p, tlsCa: flags['tls-ca'] } : p,
    );
  }
  config.pools.forEach((p, i) => {
    if (p.tlsCa == null) return;
    const field = flags['tls-ca'] !== undefined ? '--tls-ca' : `pools[${i}].tlsCa`;
    let text: string;
    try {
      text = readFileSync(p.tlsCa, 'utf8');
    } catch (err) {
      throw new UsageError(
        `${field} ${JSON.stringify(p.tlsCa)} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    const problem = pemProblem(text);
    if (problem !== null) throw new UsageError(`${field} ${JSON.stringify(p.tlsCa)} ${problem}`);
  });
  if (flags['difficulty-scale'] !== undefined) {
    const scale = parseScale(flags['difficulty-scale']);
    if (scale === null) {
      throw new UsageError(
        `--difficulty-scale must be in (0, 1], e.g. 2^-21, got ${JSON.stringify(flags['difficulty-scale'])}`,
      );
    }
    if (config.port.kind === 'emulated') config.emulator.difficultyScale = scale;
    else config.difficultyScale = scale;
  }
  if (flags.hashrate !== undefined) {
    const hs = parseHashrate(flags.hashrate);
    if (!(hs >= 1000 && hs <= 1e9)) {
      throw new UsageError(
        `--hashrate must be between 1k and 1G hashes per second, got ${JSON.stringify(flags.hashrate)}`,
      );
    }
    config.emulator.hashrateHs = hs;
  }
  if (flags.frequency !== undefined)
    config.settings.frequencyMhz = parseNumberInRange('--frequency', flags.frequency, 1, 2000);
  if (flags.voltage !== undefined) config.settings.voltageMv = parseIntInRange('--voltage', flags.voltage, 1, 20000);
  if (flags['no-api']) config.api.enabled = false;
  if (flags['api-port'] !== undefined) config.api.port = parseIntInRange('--api-port', flags['api-port'], 0, 65535);
  if (flags['api-host'] !== undefined) {
    if (!/^[A-Za-z0-9.:[\]-]{1,253}$/.test(flags['api-host'])) {
      throw new UsageError(`--api-host must be a host name or IP address, got ${JSON.stringify(flags['api-host'])}`);
    }
    config.api.host = flags['api-host'];
  }
  if (flags.state !== undefined) {
    if (flags.state === '' || flags.state.includes('\0')) throw new UsageError('--state must be a file path');
    config.stateFile = flags.state;
  }
  resolveSoloFlags(config, flags);
  return config;
}

/** --solo and its companions on top of the config file's solo section; errors name the flag. */
function resolveSoloFlags(config: MinerConfig, flags: MineFlags): void {
  const given = ['node', 'rpc-cookie', 'template-provider', 'payout', 'network'].filter(
    (k) => flags[k as keyof MineFlags] !== undefined,
  );
  if (!flags.solo) {
    if (given.length > 0) throw new UsageError(`--${given[0]} is for solo mining: add --solo`);
    return;
  }
  const solo = { ...(config.solo ?? DEFAULT_SOLO_CONFIG) };
  if (flags.node !== undefined) {
    if (flags.node !== 'local' && !/^http:\/\/\S+$/.test(flags.node)) {
      throw new UsageError(
        `--node must be http://[USER:PASS@]HOST:PORT or local, got ${JSON.stringify(redactUrl(flags.node))}`,
      );
    }
    solo.node = flags.node;
    solo.templateProvider = null;
  }
  if (flags['template-provider'] !== undefined) {
    const tp = flags['template-provider'];
    if (tp !== 'local' && !isSv2Url(tp)) {
      throw new UsageError(
        `--template-provider must be sv2+tcp://HOST:PORT/AUTHORITY_KEY or local, got ${JSON.stringify(tp)}`,
      );
    }
    if (flags.node !== undefined)
      throw new UsageError('--node and --template-provider are two template sources: give one');
    solo.templateProvider = tp;
    solo.node = null;
  }
  if (flags['rpc-cookie'] !== undefined) {
    if (flags['rpc-cookie'] === '' || flags['rpc-cookie'].includes('\0'))
      throw new UsageError('--rpc-cookie must be a file path');
    solo.rpcCookie = flags['rpc-cookie'];
  }
  if (flags.payout !== undefined) {
    try {
      parseAddress(flags.payout);
    } catch (err) {
      if (err instanceof AddressError) throw new UsageError(`--payout ${err.message}`);
      throw err;
    }
    solo.payout = flags.payout;
  }
  if (flags.network !== undefined) {
    const chain = parseChain(flags.network);
    if (chain === null) {
      throw new UsageError(
        `--network must be main, test, testnet4, signet or regtest, got ${JSON.stringify(flags.network)}`,
      );
    }
    solo.network = chain;
  }
  if (solo.node === null && solo.templateProvider === null) {
    throw new UsageError(
      '--solo needs --node URL (Bitcoin Core) or --template-provider URL (SV2), or local for either',
    );
  }
  const problem = soloProblem(solo);
  if (problem !== null) {
    const flag: Record<string, string> = {
      '': '--solo',
      node: '--node',
      rpcCookie: '--rpc-cookie',
      payout: '--payout',
      network: '--network',
    };
    throw new UsageError(`${flag[problem.field] ?? `solo.${problem.field}`} ${problem.message}`);
  }
  config.solo = solo;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}

export function peripheralsFor(config: MinerConfig, flag: string | undefined): PeripheralsMode {
  const mode = flag ?? 'auto';
  if (mode !== 'auto' && mode !== 'hardware' && mode !== 'emulated' && mode !== 'none') {
    throw new UsageError(`--peripherals must be auto, hardware, emulated or none, got ${JSON.stringify(mode)}`);
  }
  if (config.port.kind === 'emulated') {
    if (mode === 'hardware' || mode === 'none') {
      throw new UsageError(
        `--peripherals ${mode} needs a real --port; the emulated chain comes with an emulated board`,
      );
    }
    return 'emulated';
  }
  if (mode !== 'auto') return mode;
  if (config.port.kind === 'board') return 'hardware';
  if (config.port.kind === 'serial' && /^\/dev\/(tty(AMA|S|USB|ACM)|serial)/.test(config.port.path)) return 'hardware';
  return 'none';
}

function makeLog(io: CliIo, status: { clear(): void } | null): BoardLog {
  const write = (prefix: string, m: string): void => {
    status?.clear();
    io.stderr(`hashaxe: ${prefix}${oneLine(m)}\n`);
  };
  return {
    info: (m) => write('', m),
    warn: (m) => write('warning: ', m),
    error: (m) => write('error: ', m),
  };
}

export const mine: Command = {
  path: ['mine'],
  summary: 'run the miner (default: emulated Bitaxe Ultra on a local SV2 pool)',
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values } = parseCommandArgs(
      args,
      {
        config: { type: 'string' },
        board: { type: 'string' },
        port: { type: 'string' },
        pool: { type: 'string', multiple: true },
        authority: { type: 'string' },
        user: { type: 'string' },
        channel: { type: 'string' },
        password: { type: 'string' },
        'suggest-difficulty': { type: 'string' },
        'tls-ca': { type: 'string' },
        peripherals: { type: 'string' },
        'difficulty-scale': { type: 'string' },
        hashrate: { type: 'string' },
        frequency: { type: 'string' },
        voltage: { type: 'string' },
        'api-port': { type: 'string' },
        'api-host': { type: 'string' },
        'no-api': { type: 'boolean' },
        state: { type: 'string' },
        duration: { type: 'string' },
        json: { type: 'boolean' },
        solo: { type: 'boolean' },
        node: { type: 'string' },
        'rpc-cookie': { type: 'string' },
        'template-provider': { type: 'string' },
        payout: { type: 'string' },
        network: { type: 'string' },
      },
      false,
    );
    const flags = values as MineFlags;
    const durationSec =
      flags.duration === undefined ? null : parseNumberInRange('--duration', flags.duration, 1, 365 * 86400);
    let config: MinerConfig;
    let peripherals: PeripheralsMode;
    let board: ReturnType<typeof loadBoard>;
    try {
      config = resolveMinerConfig(flags);
      peripherals = peripheralsFor(config, flags.peripherals);
      board = loadBoard(config.board);
      checkSettingsForBoard(config.settings, board.limits, board.name, flags.config ?? 'settings');
      if (config.api.enabled && !isLoopback(config.api.host) && config.api.token === null) {
        throw new UsageError(
          `the API on ${config.api.host} would be open to the network without a token: set api.token in the config (e.g. openssl rand -hex 16) or serve on 127.0.0.1`,
        );
      }
    } catch (err) {
      if (err instanceof ConfigFieldError || err instanceof BoardConfigError) throw new UsageError(err.message);
      throw err;
    }

    const json = flags.json === true;
    const reporter = json ? null : new StatusReporter(io, config.statusIntervalSec);
    const log = makeLog(io, reporter);
    if (config.port.kind === 'emulated' && config.pools.length === 0 && config.solo === null) {
      log.info(
        'embedded default: an emulated board mining on a local pool (no hardware, nothing is paid). ' +
          'Real board: --board NAME --port /dev/ttyAMA0; real pool: --pool sv2+tcp://HOST:PORT/AUTHORITY_KEY or ' +
          '--pool stratum+tcp://HOST:PORT, and --user WORKER',
      );
    }
    // --duration counts from launch: boot and the first pool connection are part of the run.
    const deadline = durationSec === null ? null : Date.now() + durationSec * 1000;
    let miner: Miner;
    try {
      miner = await Miner.start({
        config,
        board,
        peripherals,
        version: packageVersion(),
        log,
        connectWaitMs: deadline === null ? 5000 : Math.max(0, Math.min(5000, deadline - Date.now())),
        soloPayoutField:
          flags.payout === undefined && flags.config !== undefined ? `${flags.config}: solo.payout` : '--payout',
      });
    } catch (err) {
      if (err instanceof MinerStartError) throw err.badInput ? new UsageError(err.message) : new WorkError(err.message);
      throw err;
    }
    reporter?.start(miner);
    const stopReason = await new Promise<string>((resolve) => {
      if (io.signal.aborted) resolve('signal');
      io.signal.addEventListener('abort', () => resolve('signal'), { once: true });
      if (deadline !== null) setTimeout(() => resolve('duration'), Math.max(0, deadline - Date.now())).unref();
    });
    reporter?.stop();
    log.info(
      stopReason === 'signal'
        ? 'stopping (signal): closing the channel, powering the chips down'
        : 'duration reached, stopping',
    );
    const summary = miner.summary();
    await miner.stop();
    if (json) {
      if (durationSec !== null || stopReason === 'signal') printJson(io, summary);
    } else {
      io.stdout(`${StatusReporter.formatSummary(summary)}\n`);
    }
    return EXIT_OK;
  },
};
