/**
 * Generates src/bitcoin/sha256d-tail.generated.ts: the second half of a block header's double SHA-256,
 * starting from the midstate of the first 64 bytes.
 *
 * Why generated: V8 keeps straight-line int32 code in registers, while a round loop over a scratch
 * Uint32Array costs a load and a store per word. Unrolling by hand is 128 rounds of error-prone text;
 * a generator can also fold every schedule word that only depends on the fixed SHA-256 padding
 * (header block 2 has 12 constant words, the second hash has 8), which is most of the schedule.
 *
 * Run: node dist/scripts/gen-sha256d-tail.js > src/bitcoin/sha256d-tail.generated.ts
 * A test checks the committed file equals this generator's output.
 */
import { SHA256_IV, SHA256_K } from '../src/bitcoin/sha256-constants.js';

/** A schedule word: known at generation time, or the name of a local holding it at run time. */
type Word = { kind: 'const'; value: number } | { kind: 'var'; name: string };

const rotr = (x: number, n: number): number => ((x >>> n) | (x << (32 - n))) >>> 0;
const smallSigma0 = (x: number): number => (rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)) >>> 0;
const smallSigma1 = (x: number): number => (rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10)) >>> 0;

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

class Emitter {
  readonly lines: string[] = [];
  emit(line: string): void {
    this.lines.push(`  ${line}`);
  }
}

const sigmaExpr = (name: string, a: number, b: number, shift: number): string =>
  `(((${name} >>> ${a}) | (${name} << ${32 - a})) ^ ((${name} >>> ${b}) | (${name} << ${32 - b})) ^ (${name} >>> ${shift}))`;

/** Emits the 48 extended schedule words, folding constant parts. Returns all 64 words. */
function emitSchedule(out: Emitter, first16: Word[], prefix: string): Word[] {
  const w = first16.slice();
  for (let t = 16; t < 64; t++) {
    const parts: string[] = [];
    let constant = 0;
    const add = (word: Word, fn: 'id' | 's0' | 's1'): void => {
      if (word.kind === 'const') {
        const v = fn === 'id' ? word.value : fn === 's0' ? smallSigma0(word.value) : smallSigma1(word.value);
        constant = (constant + v) >>> 0;
      } else if (fn === 'id') parts.push(word.name);
      else if (fn === 's0') parts.push(sigmaExpr(word.name, 7, 18, 3));
      else parts.push(sigmaExpr(word.name, 17, 19, 10));
    };
    add(w[t - 2], 's1');
    add(w[t - 7], 'id');
    add(w[t - 15], 's0');
    add(w[t - 16], 'id');
    if (parts.length === 0) {
      w.push({ kind: 'const', value: constant });
      continue;
    }
    if (constant !== 0) parts.push(hex(constant));
    const name = `${prefix}${t}`;
    out.emit(`const ${name} = (${parts.join(' + ')}) | 0;`);
    w.push({ kind: 'var', name });
  }
  return w;
}

/**
 * Emits 64 rounds with register renaming (no a..h shuffle at run time). `init` names the eight
 * working-variable inputs; returns the names holding a..h after round 63.
 */
function emitRounds(out: Emitter, w: Word[], init: string[], prefix: string): string[] {
  // regs[0..7] = a..h as expressions (names of locals).
  let regs = init.slice();
  for (let t = 0; t < 64; t++) {
    const [a, b, c, , e, f, g, h] = regs;
    const word = w[t];
    const kw = word.kind === 'const' ? hex((SHA256_K[t] + word.value) >>> 0) : `${hex(SHA256_K[t])} + ${word.name}`;
    const t1 = `${prefix}t${t}`;
    const newA = `${prefix}a${t}`;
    const newE = `${prefix}e${t}`;
    out.emit(
      `const ${t1} = (${h} + (((${e} >>> 6) | (${e} << 26)) ^ ((${e} >>> 11) | (${e} << 21)) ^ ((${e} >>> 25) | (${e} << 7))) + (${g} ^ (${e} & (${f} ^ ${g}))) + ${kw}) | 0;`,
    );
    out.emit(`const ${newE} = (${regs[3]} + ${t1}) | 0;`);
    out.emit(
      `const ${newA} = (${t1} + (((${a} >>> 2) | (${a} << 30)) ^ ((${a} >>> 13) | (${a} << 19)) ^ ((${a} >>> 22) | (${a} << 10))) + ((${a} & ${b}) | (${c} & (${a} | ${b})))) | 0;`,
    );
    regs = [newA, a, b, c, newE, e, f, g];
  }
  return regs;
}

export function generateSha256dTail(): string {
  // Two functions, not one: a single unrolled SHA-256d is ~69 KB of bytecode, over V8's 60 KB limit for
  // optimizing a function, and then it runs in the interpreter at 1/100 the speed.
  const first = new Emitter();
  // Header block 2: 16 bytes of data (merkle tail, ntime, nbits, nonce), then 0x80, zeros, bit length 640.
  const block2: Word[] = [
    { kind: 'var', name: 'w0' },
    { kind: 'var', name: 'w1' },
    { kind: 'var', name: 'w2' },
    { kind: 'var', name: 'w3' },
    { kind: 'const', value: 0x80000000 },
    ...Array.from({ length: 10 }, (): Word => ({ kind: 'const', value: 0 })),
    { kind: 'const', value: 640 },
  ];
  for (let i = 0; i < 8; i++) first.emit(`const m${i} = midstate[${i}] | 0;`);
  const w1 = emitSchedule(first, block2, 'x');
  const r1 = emitRounds(first, w1, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'], 'p');
  for (let i = 0; i < 8; i++) first.emit(`out[${i}] = m${i} + ${r1[i]};`);

  // Second hash: the 32-byte first digest, 0x80, zeros, bit length 256, from the standard IV.
  const second = new Emitter();
  for (let i = 0; i < 8; i++) second.emit(`const d${i} = digest[${i}] | 0;`);
  const block3: Word[] = [
    ...Array.from({ length: 8 }, (_, i): Word => ({ kind: 'var', name: `d${i}` })),
    { kind: 'const', value: 0x80000000 },
    ...Array.from({ length: 6 }, (): Word => ({ kind: 'const', value: 0 })),
    { kind: 'const', value: 256 },
  ];
  const w2 = emitSchedule(second, block3, 'y');
  for (let i = 0; i < 8; i++) second.emit(`const i${i} = ${hex(SHA256_IV[i])} | 0;`);
  const r2 = emitRounds(second, w2, ['i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7'], 'q');
  for (let i = 0; i < 8; i++) second.emit(`out[${i}] = i${i} + ${r2[i]};`);

  return [
    '// GENERATED by scripts/gen-sha256d-tail.ts — do not edit; regenerate and commit instead.',
    '// The second half of SHA-256d(header): compression of header block 2 from the midstate, then the',
    '// second SHA-256 over the 32-byte digest. Padding words are folded in at generation time.',
    '',
    '/**',
    ' * out ← SHA-256 state after compressing header bytes 64..79 (+ padding) onto `midstate`; w0..w3 are',
    ' * those bytes read as big-endian words (merkle-root tail, ntime, nbits, nonce as SHA-256 reads them).',
    ' */',
    'export function sha256HeaderBlock2(',
    '  midstate: Uint32Array,',
    '  w0: number,',
    '  w1: number,',
    '  w2: number,',
    '  w3: number,',
    '  out: Uint32Array,',
    '): void {',
    ...first.lines,
    '}',
    '',
    '/** out ← SHA-256 state words of SHA-256(the 32-byte digest given as state words). `out` may be `digest`. */',
    'export function sha256OfDigest(digest: Uint32Array, out: Uint32Array): void {',
    ...second.lines,
    '}',
    '',
    '/** out ← SHA-256d state words (H0..H7) of a header: block 2 from the midstate, then the second hash. */',
    'export function sha256dTailWords(',
    '  midstate: Uint32Array,',
    '  w0: number,',
    '  w1: number,',
    '  w2: number,',
    '  w3: number,',
    '  out: Uint32Array,',
    '): void {',
    '  sha256HeaderBlock2(midstate, w0, w1, w2, w3, out);',
    '  sha256OfDigest(out, out);',
    '}',
    '',
  ].join('\n');
}

const invokedDirectly = process.argv[1]?.endsWith('gen-sha256d-tail.js');
if (invokedDirectly) process.stdout.write(generateSha256dTail());
