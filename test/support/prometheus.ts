/**
 * Board-control room: a strict parser for the Prometheus text exposition format 0.0.4, so a test can say
 * "/metrics parses" and mean it: metric and label names, label escaping, values, HELP/TYPE placement,
 * contiguous families and no duplicate series. Throws with the line number on anything else.
 */
export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  type: string;
  help: string;
  samples: MetricSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, line: number): number {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (!/^[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)$/.test(text))
    throw new Error(`line ${line}: bad value ${JSON.stringify(text)}`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without =`);
    const name = text.slice(i, eq).trim();
    if (!LABEL.test(name)) throw new Error(`line ${line}: bad label name ${JSON.stringify(name)}`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value must be quoted`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      if (j >= text.length) throw new Error(`line ${line}: unterminated label value`);
      const c = text[j];
      if (c === '\\') {
        const n = text[j + 1];
        if (n === '\\') value += '\\';
        else if (n === '"') value += '"';
        else if (n === 'n') value += '\n';
        else throw new Error(`line ${line}: bad escape \\${n}`);
        j += 2;
      } else if (c === '"') {
        j++;
        break;
      } else {
        value += c;
        j++;
      }
    }
    if (name in labels) throw new Error(`line ${line}: duplicate label ${name}`);
    labels[name] = value;
    if (j < text.length && text[j] === ',') j++;
    else if (j < text.length) throw new Error(`line ${line}: expected , between labels`);
    i = j;
  }
  return labels;
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, MetricFamily>();
  const seriesSeen = new Set<string>();
  let current: string | null = null;
  const closed = new Set<string>();
  const metaSeen = new Set<string>();
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((raw, index) => {
    const n = index + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (m === null) return; // a plain comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name)) throw new Error(`line ${n}: bad metric name ${name}`);
      if (closed.has(name) || (families.get(name)?.samples.length ?? 0) > 0) {
        throw new Error(`line ${n}: ${kind} for ${name} after its samples`);
      }
      const fam = families.get(name) ?? { type: 'untyped', help: '', samples: [] };
      const seen = `${kind} ${name}`;
      if (metaSeen.has(seen)) throw new Error(`line ${n}: a second ${kind} line for ${name}`);
      metaSeen.add(seen);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`line ${n}: bad type ${rest}`);
        fam.type = rest;
      } else {
        fam.help = rest;
      }
      families.set(name, fam);
      if (current !== null && current !== name) closed.add(current);
      current = name;
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/.exec(raw);
    if (m === null) throw new Error(`line ${n}: not a sample: ${JSON.stringify(raw)}`);
    const [, name, , labelText, valueText] = m;
    if (current !== null && current !== name) closed.add(current);
    if (closed.has(name)) throw new Error(`line ${n}: samples of ${name} are not contiguous`);
    current = name;
    const labels = labelText === undefined ? {} : parseLabels(labelText, n);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seriesSeen.has(key)) throw new Error(`line ${n}: duplicate series ${key}`);
    seriesSeen.add(key);
    const fam = families.get(name) ?? { type: 'untyped', help: '', samples: [] };
    fam.samples.push({ labels, value: parseValue(valueText, n) });
    families.set(name, fam);
  });
  return families;
}
