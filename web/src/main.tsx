/**
 * hashaxe's own dashboard (MIT), served by the daemon at `/`: hash rate measured and pool-credited, shares, the
 * pool, the board, board control within the board's limits, live logs and latched faults. Preact for the view,
 * uPlot for the charts; the data is the AxeOS API the daemon serves to everyone (`/api/system/info`, its live
 * socket and `/api/system/statistics`), so the dashboard shows exactly what tools see.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, storedToken, storeToken } from './api.js';
import { TimeChart } from './chart.js';
import { duration, fixed, hashrate, si } from './format.js';
import { type Info, type LogEntry, watchInfo, watchLogs } from './live.js';

type Asic = {
  frequencyOptions: number[];
  voltageOptions: number[];
  limits?: { frequencyMhz: { min: number; max: number }; voltageMv: { min: number; max: number } };
};

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const own = (info: Info): Record<string, unknown> => info.hashaxe ?? {};

/** A write that may need the token: a 401 opens the prompt and the action is retried once the token is given. */
function useWriter(setAskToken: (retry: (() => void) | null) => void) {
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const write = async (method: string, path: string, body?: unknown, done?: string): Promise<void> => {
    setError(null);
    setNotice(null);
    try {
      const r = await api<{ message?: string } | null>(method, path, body);
      setNotice(done ?? r?.message ?? 'done');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        setAskToken(() => void write(method, path, body, done));
      }
      setError((e as Error).message);
    }
  };
  return { error, notice, write };
}

function TokenPrompt({ retry, close }: { retry: () => void; close: () => void }) {
  const [value, setValue] = useState('');
  return (
    <section class="wide" aria-label="API token">
      <h2>API token</h2>
      <p>This device needs its API token for changes. It is kept for this browser session only.</p>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          storeToken(value.trim());
          close();
          retry();
        }}
      >
        <input
          id="token"
          type="password"
          autocomplete="off"
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
          placeholder="token"
        />
        <button class="primary" type="submit">
          Use token
        </button>
        <button type="button" onClick={close}>
          Cancel
        </button>
      </form>
    </section>
  );
}

function Faults({
  info,
  write,
}: {
  info: Info;
  write: (m: string, p: string, b?: unknown, d?: string) => Promise<void>;
}) {
  const h = own(info);
  const faults: string[] = [];
  const reason = (f: unknown): string | null =>
    typeof f === 'object' && f !== null && typeof (f as { reason?: unknown }).reason === 'string'
      ? (f as { reason: string }).reason
      : null;
  for (const f of [h.overheat, h.hardwareFault, h.sensorFault]) {
    const r = reason(f);
    if (r !== null) faults.push(r);
  }
  if (typeof info.power_fault === 'string') faults.push(`power fault: ${info.power_fault}`);
  if (faults.length === 0) return null;
  return (
    <section class="fault" role="alert" aria-label="Faults">
      <h2>Latched fault</h2>
      {faults.map((f) => (
        <p key={f}>{f}</p>
      ))}
      <p class="hint">
        The chips stay off until you clear it. Let the board cool (restart is refused while any sensor is within 10 °C
        of its limit), fix the cause, then restart: the button below, <code>POST /api/system/restart</code>, or AxeOS's
        "clear overheat".
      </p>
      <button
        class="primary"
        type="button"
        onClick={() => void write('POST', '/api/system/restart', {}, 'restart requested')}
      >
        Clear and restart
      </button>
    </section>
  );
}

const WINDOWS = [
  { key: '1m', label: '1 m', measured: 'hashrate_1m', pool: 'poolHashrate_1m' },
  { key: '10m', label: '10 m', measured: 'hashrate_10m', pool: 'poolHashrate_10m' },
  { key: '1h', label: '1 h', measured: 'hashrate_1h', pool: 'poolHashrate_1h' },
] as const;

function HashrateCard({ info }: { info: Info }) {
  const [win, setWin] = useState<(typeof WINDOWS)[number]>(WINDOWS[0]);
  const [data, setData] = useState<number[][]>([[], [], []]);
  useEffect(() => {
    let stop = false;
    const load = (): void => {
      const cols = [win.measured, win.pool].join(',');
      api<{ currentTimestamp: number; labels: string[]; statistics: number[][] }>(
        'GET',
        `/api/system/statistics?columns=${cols}`,
      )
        .then((s) => {
          if (stop) return;
          const m = s.labels.indexOf(win.measured);
          const p = s.labels.indexOf(win.pool);
          const t = s.labels.indexOf('timestamp');
          const base = Date.now() - s.currentTimestamp;
          setData([
            s.statistics.map((r) => (base + r[t]) / 1000),
            s.statistics.map((r) => r[m] * 1e9),
            s.statistics.map((r) => r[p] * 1e9),
          ]);
        })
        .catch(() => undefined);
    };
    load();
    const timer = window.setInterval(load, 5000);
    return () => {
      stop = true;
      window.clearInterval(timer);
    };
  }, [win]);
  const pool = (own(info).poolHashrateGhs ?? {}) as Record<string, number>;
  return (
    <section class="wide" aria-label="Hash rate">
      <h2>Hash rate</h2>
      <div class="row">
        <span class="big" id="hashrate">
          {hashrate(num(info.hashRate_1m))}
        </span>
        <span class="hint">measured from verified nonces (1 m)</span>
      </div>
      <dl>
        <dt>measured</dt>
        <dd>
          {hashrate(num(info.hashRate_1m))} · {hashrate(num(info.hashRate_10m))} · {hashrate(num(info.hashRate_1h))} (1
          m · 10 m · 1 h)
        </dd>
        <dt>pool-credited</dt>
        <dd>
          {hashrate(num(pool.m1))} · {hashrate(num(pool.m10))} · {hashrate(num(pool.h1))}
        </dd>
        <dt>expected</dt>
        <dd>{hashrate(num(info.expectedHashrate))} (silicon at this clock)</dd>
      </dl>
      <fieldset class="row tabs" aria-label="Averaging window">
        {WINDOWS.map((w) => (
          <button key={w.key} type="button" aria-pressed={w.key === win.key} onClick={() => setWin(w)}>
            {w.label}
          </button>
        ))}
      </fieldset>
      <TimeChart
        data={data}
        unit="H/s"
        series={[
          { label: `measured ${win.label}`, colour: '#f7931a' },
          { label: `pool-credited ${win.label}`, colour: '#58a6ff' },
        ]}
      />
    </section>
  );
}

function SharesCard({ info }: { info: Info }) {
  const reasons = Array.isArray(info.sharesRejectedReasons)
    ? (info.sharesRejectedReasons as Array<{ message: string; count: number }>)
    : [];
  const h = own(info);
  return (
    <section aria-label="Shares">
      <h2>Shares</h2>
      <dl>
        <dt>accepted</dt>
        <dd id="shares-accepted">{num(info.sharesAccepted)}</dd>
        <dt>rejected</dt>
        <dd>{num(info.sharesRejected)}</dd>
        {reasons.map((r) => (
          <>
            <dt key={`k${r.message}`}>· {r.message}</dt>
            <dd key={`v${r.message}`}>{r.count}</dd>
          </>
        ))}
        <dt>unanswered</dt>
        <dd>
          {num(h.sharesTimedOut)} timed out, {num(h.sharesLost)} lost, {num(info.sharesPending)} pending
        </dd>
        <dt>best difficulty</dt>
        <dd>
          {si(num(info.bestSessionDiff))} this run · {si(num(info.bestDiff))} ever
        </dd>
        <dt>pool difficulty</dt>
        <dd>{si(num(info.poolDifficulty))}</dd>
        <dt>response time</dt>
        <dd>{fixed(info.responseTime, 1)} ms</dd>
        <dt>hardware errors</dt>
        <dd>
          {num(h.hwErrors)} ({fixed(info.errorPercentage, 2)} %)
        </dd>
      </dl>
    </section>
  );
}

function PoolCard({ info }: { info: Info }) {
  const u = (own(info).upstream ?? null) as Record<string, unknown> | null;
  const pools = Array.isArray(info.pools) ? (info.pools as Array<Record<string, unknown>>) : [];
  const connected = u !== null && u.connected === true;
  return (
    <section aria-label="Pool">
      <h2>Pool</h2>
      <p>
        <span class={`badge ${connected ? 'ok' : 'bad'}`}>{connected ? 'connected' : 'not connected'}</span>{' '}
        {info.isUsingFallbackStratum === 1 ? <span class="badge warn">on a backup pool</span> : null}
      </p>
      <dl>
        <dt>protocol</dt>
        <dd id="pool-protocol">{u !== null && u.protocol !== null ? str(u.protocol).toUpperCase() : '—'}</dd>
        <dt>channel</dt>
        <dd>{u !== null ? str(u.channelKind) || '—' : '—'}</dd>
        <dt>encryption</dt>
        <dd>
          {u === null
            ? '—'
            : u.encrypted
              ? `encrypted${u.authenticated ? ', pool authenticated' : ', pool NOT authenticated'}`
              : 'plain text'}
        </dd>
        <dt>authority key</dt>
        <dd>{u !== null && str(u.authorityKey) !== '' ? str(u.authorityKey) : '—'}</dd>
        <dt>failover</dt>
        <dd>
          pool {u === null ? '—' : num(u.poolIndex) + 1} of {u === null ? '—' : num(u.poolCount)},{' '}
          {u === null ? 0 : num(u.failovers)} failovers
        </dd>
        {u !== null && typeof u.lastError === 'string' ? (
          <>
            <dt>last error</dt>
            <dd>{u.lastError}</dd>
          </>
        ) : null}
      </dl>
      <table>
        <thead>
          <tr>
            <th>#</th>
            <th>pool</th>
            <th>user</th>
          </tr>
        </thead>
        <tbody>
          {pools.map((p) => (
            <tr key={num(p.id)}>
              <td>
                {num(p.id)}
                {p.id === info.primaryPoolIndex ? ' (primary)' : p.id === info.secondaryPoolIndex ? ' (backup)' : ''}
              </td>
              <td>
                {str(p.stratumProtocol)} {str(p.stratumURL)}:{num(p.stratumPort)}
              </td>
              <td>{str(p.stratumUser)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function BoardCard({ info }: { info: Info }) {
  const power = num(info.power);
  const ths = num(info.hashRate_1m) / 1000;
  const h = own(info);
  return (
    <section aria-label="Board">
      <h2>Board</h2>
      <dl>
        <dt>ASIC temperature</dt>
        <dd id="asic-temp">{num(info.temp) < 0 ? 'unknown' : `${fixed(info.temp)} °C`}</dd>
        {num(info.vrTemp) > 0 ? (
          <>
            <dt>regulator</dt>
            <dd>{fixed(info.vrTemp)} °C</dd>
          </>
        ) : null}
        <dt>fan</dt>
        <dd id="fan">
          {fixed(info.fanspeed, 0)} % · {num(info.fanrpm)} rpm (
          {info.autofanspeed === 1 ? `auto to ${num(info.temptarget)} °C` : 'manual'}
          {str(h.fanReason) !== '' && h.fanReason !== 'auto' && h.fanReason !== 'manual' ? `, ${str(h.fanReason)}` : ''}
          )
        </dd>
        <dt>core voltage</dt>
        <dd>
          {num(info.coreVoltage)} mV set · {num(info.coreVoltageActual)} mV{' '}
          {h.voltageMeasured ? 'measured' : 'from the DAC'}
        </dd>
        <dt>frequency</dt>
        <dd id="frequency">
          {num(info.frequency)} MHz{num(info.actualFrequency) > 0 ? ` (PLL ${fixed(info.actualFrequency, 2)} MHz)` : ''}
        </dd>
        <dt>input</dt>
        <dd>
          {fixed(num(info.voltage) / 1000, 2)} V · {fixed(num(info.current) / 1000, 2)} A
        </dd>
        <dt>power</dt>
        <dd>{fixed(power)} W</dd>
        <dt>efficiency</dt>
        <dd>
          {power > 0 && ths > 0 ? `${fixed(power / ths)} J/TH measured` : '—'}
          {power > 0 && num(info.expectedHashrate) > 0
            ? ` · ${fixed(power / (num(info.expectedHashrate) / 1000))} J/TH expected`
            : ''}
        </dd>
      </dl>
    </section>
  );
}

function ControlCard({
  info,
  asic,
  write,
  error,
  notice,
}: {
  info: Info;
  asic: Asic | null;
  write: ReturnType<typeof useWriter>['write'];
  error: string | null;
  notice: string | null;
}) {
  const [fanMode, setFanMode] = useState<'auto' | 'manual'>(info.autofanspeed === 1 ? 'auto' : 'manual');
  const [fan, setFan] = useState(String(num(info.manualFanSpeed)));
  const [target, setTarget] = useState(String(num(info.temptarget)));
  const [freq, setFreq] = useState(String(num(info.frequency)));
  const [volt, setVolt] = useState(String(num(info.coreVoltage)));
  const lim = asic?.limits;
  const paused = own(info).pausedByUser === true;
  return (
    <section aria-label="Control">
      <h2>Control</h2>
      <form
        class="controls"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const body: Record<string, unknown> = { autofanspeed: fanMode === 'auto' ? 1 : 0 };
          if (fanMode === 'manual') body.manualFanSpeed = Number(fan);
          else body.temptarget = Number(target);
          if (Number(freq) !== num(info.frequency)) body.frequency = Number(freq);
          if (Number(volt) !== num(info.coreVoltage)) body.coreVoltage = Number(volt);
          void write('PATCH', '/api/system', body, 'settings applied');
        }}
      >
        <label>
          Fan
          <select
            id="fan-mode"
            value={fanMode}
            onChange={(e) => setFanMode((e.target as HTMLSelectElement).value as 'auto' | 'manual')}
          >
            <option value="auto">auto (PID)</option>
            <option value="manual">manual</option>
          </select>
        </label>
        {fanMode === 'manual' ? (
          <label>
            Fan speed %
            <input
              id="fan-percent"
              type="number"
              min={0}
              max={100}
              value={fan}
              onInput={(e) => setFan((e.target as HTMLInputElement).value)}
            />
          </label>
        ) : (
          <label>
            Target ASIC °C
            <input
              id="fan-target"
              type="number"
              min={35}
              max={66}
              value={target}
              onInput={(e) => setTarget((e.target as HTMLInputElement).value)}
            />
          </label>
        )}
        <label>
          Frequency MHz
          <input
            id="frequency-input"
            type="number"
            list="freq-options"
            value={freq}
            onInput={(e) => setFreq((e.target as HTMLInputElement).value)}
          />
        </label>
        <datalist id="freq-options">
          {(asic?.frequencyOptions ?? []).map((f) => (
            <option key={f} value={f} />
          ))}
        </datalist>
        <label>
          Core voltage mV
          <input
            id="voltage-input"
            type="number"
            list="volt-options"
            step={25}
            value={volt}
            onInput={(e) => setVolt((e.target as HTMLInputElement).value)}
          />
        </label>
        <datalist id="volt-options">
          {(asic?.voltageOptions ?? []).map((v) => (
            <option key={v} value={v} />
          ))}
        </datalist>
        {lim ? (
          <p class="hint">
            This board allows {lim.frequencyMhz.min}–{lim.frequencyMhz.max} MHz and {lim.voltageMv.min}–
            {lim.voltageMv.max} mV; the daemon refuses anything outside.
          </p>
        ) : null}
        <div class="row">
          <button id="apply" class="primary" type="submit">
            Apply
          </button>
          <button
            id="pause"
            type="button"
            onClick={() => void write('POST', paused ? '/api/system/resume' : '/api/system/pause', {})}
          >
            {paused ? 'Resume mining' : 'Pause mining'}
          </button>
          <button id="identify" type="button" onClick={() => void write('POST', '/api/system/identify', {})}>
            Identify
          </button>
          <button id="restart" type="button" onClick={() => void write('POST', '/api/system/restart', {})}>
            Restart chips
          </button>
        </div>
      </form>
      {error !== null ? (
        <p class="alert" role="alert" id="error">
          {error}
        </p>
      ) : null}
      {notice !== null ? (
        <p class="alert info" id="notice">
          {notice}
        </p>
      ) : null}
    </section>
  );
}

function LogsCard() {
  const [lines, setLines] = useState<LogEntry[]>([]);
  useEffect(() => watchLogs((l) => setLines((prev) => [...prev.slice(-199), l])), []);
  return (
    <section class="wide" aria-label="Logs">
      <h2>Log</h2>
      <div class="logs" id="logs">
        {lines.length === 0 ? <span class="hint">new log lines appear here</span> : null}
        {lines.map((l, i) => (
          <div key={i} class={l.level}>
            {l.text}
          </div>
        ))}
      </div>
    </section>
  );
}

function App() {
  const [info, setInfo] = useState<Info | null>(null);
  const [asic, setAsic] = useState<Asic | null>(null);
  const [down, setDown] = useState<string | null>(null);
  const [askToken, setAskToken] = useState<(() => void) | null>(null);
  const writer = useWriter((retry) => setAskToken(() => retry));
  useEffect(() => watchInfo(setInfo, setDown), []);
  useEffect(() => {
    api<Asic>('GET', '/api/system/asic')
      .then(setAsic)
      .catch(() => undefined);
  }, []);
  if (info === null) return <p class="loading">{down ?? 'Loading hashaxe…'}</p>;
  const h = own(info);
  return (
    <>
      <header>
        <h1>hashaxe</h1>
        <span class="sub">
          {str(info.hostname)} · {str(info.ASICModel)} × {num(info.asicCount)} · {str(h.board)} · v{str(info.version)} ·
          up {duration(num(info.uptimeSeconds))}
        </span>
        {h.pausedByUser === true ? (
          <span class="badge warn">paused</span>
        ) : info.miningPaused === true ? (
          <span class="badge warn">not mining</span>
        ) : (
          <span class="badge ok">mining</span>
        )}
        {h.identifying === true ? <span class="badge warn">identify: fan pulsing</span> : null}
        {storedToken() !== null ? (
          <button type="button" onClick={() => storeToken(null)}>
            Forget token
          </button>
        ) : null}
      </header>
      {down !== null ? <p class="alert">{down}</p> : null}
      <main>
        {askToken !== null ? <TokenPrompt retry={askToken} close={() => setAskToken(null)} /> : null}
        <Faults info={info} write={writer.write} />
        <HashrateCard info={info} />
        <SharesCard info={info} />
        <PoolCard info={info} />
        <BoardCard info={info} />
        <ControlCard info={info} asic={asic} write={writer.write} error={writer.error} notice={writer.notice} />
        <LogsCard />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
