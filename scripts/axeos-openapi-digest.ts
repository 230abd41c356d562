/**
 * Writes the digest of ESP-Miner's AxeOS API description (main/http_server/openapi.yaml) that the contract test
 * checks hashaxe against: every path and method, and for the two objects Bitaxe tools read
 * (`SystemInfo` = GET /api/system/info, `SystemASIC` = GET /api/system/asic) each field's name, JSON type,
 * whether it is required, and its unit where the description states one. Only names, types and units are kept:
 * no prose is copied.
 *
 * Usage: node dist/scripts/axeos-openapi-digest.js <openapi.yaml> <source label> > test/vectors/axeos/openapi-digest.json
 *
 * The YAML is read line by line for the shapes this file uses (two-space indentation, `key:` blocks, `- item`
 * lists); it is not a general YAML parser.
 */
import { readFileSync } from 'node:fs';

interface FieldDigest {
  type: string;
  required: boolean;
  unit?: string;
  enum?: string[];
}

/** Units as ESP-Miner's descriptions state them, normalised. */
const UNIT_PATTERNS: Array<[RegExp, string]> = [
  [/\bmilliamps?\b|\bmA\b/i, 'mA'],
  [/\bmillivolts?\b|\bmV\b/i, 'mV'],
  [/\bwatts?\b/i, 'W'],
  [/\bvolts?\b/i, 'V'],
  [/\bMHz\b/, 'MHz'],
  [/\bGh\/s\b|\bGH\/s\b/, 'GH/s'],
  [/\bin ms\b|\bmilliseconds?\b/i, 'ms'],
  [/\bRPM\b/, 'rpm'],
  [/\bpercentage\b|\bpercent\b/i, '%'],
  [/\bin bytes\b/i, 'bytes'],
  [/\bCelsius\b|°C/i, '°C'],
  [/\bdBm\b/, 'dBm'],
  [/\bin seconds\b|\bseconds\b/i, 's'],
];

function unitOf(description: string): string | undefined {
  for (const [re, unit] of UNIT_PATTERNS) if (re.test(description)) return unit;
  return undefined;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

export function digestOpenApi(text: string): {
  paths: Record<string, string[]>;
  schemas: Record<string, Record<string, FieldDigest>>;
} {
  const lines = text.split('\n');
  const paths: Record<string, string[]> = {};
  const schemas: Record<string, Record<string, FieldDigest>> = {};
  let section: 'none' | 'schemas' | 'paths' = 'none';
  let schema: string | null = null;
  let block: 'required' | 'properties' | null = null;
  let required = new Set<string>();
  let prop: string | null = null;
  let path: string | null = null;
  let inEnum = false;
  for (const raw of lines) {
    if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
    const ind = indentOf(raw);
    const line = raw.trim();
    if (ind === 0) {
      section = line === 'paths:' ? 'paths' : 'none';
      continue;
    }
    if (ind === 2 && line === 'schemas:') {
      section = 'schemas';
      continue;
    }
    if (section === 'paths') {
      if (ind === 2 && line.endsWith(':')) {
        path = line.slice(0, -1);
        paths[path] = [];
      } else if (ind === 4 && path !== null && /^(get|post|put|patch|delete|options):$/.test(line)) {
        paths[path].push(line.slice(0, -1).toUpperCase());
      }
      continue;
    }
    if (section !== 'schemas') continue;
    if (ind === 2) {
      section = 'none';
      continue;
    }
    if (ind === 4 && line.endsWith(':')) {
      schema = line.slice(0, -1);
      schemas[schema] = {};
      required = new Set();
      block = null;
      prop = null;
      continue;
    }
    if (schema === null) continue;
    if (ind === 6) {
      block = line === 'required:' ? 'required' : line === 'properties:' ? 'properties' : null;
      prop = null;
      continue;
    }
    if (block === 'required' && ind === 8 && line.startsWith('- ')) {
      required.add(line.slice(2).trim());
      continue;
    }
    if (block === 'properties') {
      if (ind === 8 && line.endsWith(':')) {
        prop = line.slice(0, -1);
        schemas[schema][prop] = { type: 'unknown', required: required.has(prop) };
        inEnum = false;
        continue;
      }
      if (prop === null || ind < 10) continue;
      const f = schemas[schema][prop];
      if (ind === 10) {
        inEnum = false;
        const m = /^(type|description|enum):\s*(.*)$/.exec(line);
        if (m === null) continue;
        if (m[1] === 'type') f.type = m[2].replace(/["']/g, '');
        else if (m[1] === 'description') {
          const unit = unitOf(m[2]);
          if (unit !== undefined) f.unit = unit;
        } else if (m[1] === 'enum') {
          const inline = /^\[(.*)\]$/.exec(m[2]);
          if (inline !== null) f.enum = inline[1].split(',').map((x) => x.trim().replace(/["']/g, ''));
          else {
            f.enum = [];
            inEnum = true;
          }
        }
      } else if (inEnum && ind === 12 && line.startsWith('- ')) {
        f.enum?.push(line.slice(2).trim().replace(/["']/g, ''));
      }
    }
  }
  return { paths, schemas };
}

if (process.argv[1]?.endsWith('axeos-openapi-digest.js')) {
  const [file, source] = process.argv.slice(2);
  if (file === undefined || source === undefined) {
    process.stderr.write('usage: axeos-openapi-digest <openapi.yaml> <source label>\n');
    process.exit(2);
  }
  const d = digestOpenApi(readFileSync(file, 'utf8'));
  const keep = [
    'SystemInfo',
    'SystemASIC',
    'SystemStatistics',
    'SystemScoreboardEntry',
    'Pool',
    'SharesRejectedReason',
    'HashrateMonitorAsic',
  ];
  const out = {
    source,
    paths: d.paths,
    schemas: Object.fromEntries(keep.filter((k) => k in d.schemas).map((k) => [k, d.schemas[k]])),
  };
  process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
}
