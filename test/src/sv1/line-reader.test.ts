import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineReader } from '../../../src/sv1/line-reader.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function reader(max = 64): { r: LineReader; lines: string[]; overflows: number[] } {
  const lines: string[] = [];
  const overflows: number[] = [];
  const r = new LineReader(
    (b, s, e) => lines.push(new TextDecoder().decode(b.subarray(s, e))),
    (n) => overflows.push(n),
    max,
  );
  return { r, lines, overflows };
}

test('several lines in one chunk, one line over many chunks, \\r\\n and empty lines', () => {
  const { r, lines } = reader();
  r.push(enc('{"a":1}\n{"b":2}\r\n\n{"c"'));
  assert.deepEqual(lines, ['{"a":1}', '{"b":2}']);
  assert.equal(r.buffered, 4);
  r.push(enc(':3'));
  r.push(enc('}'));
  r.push(enc('\n\r\n'));
  assert.deepEqual(lines, ['{"a":1}', '{"b":2}', '{"c":3}']);
  assert.equal(r.emptyLines, 2);
  assert.equal(r.lines, 3);
  assert.equal(r.buffered, 0);
});

test('every split point of a stream gives the same lines', () => {
  const text = 'first line\nsecond\r\nthird one here\n';
  for (let cut = 0; cut <= text.length; cut++) {
    const { r, lines } = reader();
    r.push(enc(text.slice(0, cut)));
    r.push(enc(text.slice(cut)));
    assert.deepEqual(lines, ['first line', 'second', 'third one here'], `cut at ${cut}`);
  }
});

test('a whole line inside a chunk is handed out as a view into it (no copy)', () => {
  const chunk = enc('hello\n');
  let seen: Uint8Array | null = null;
  const r = new LineReader(
    (b) => {
      seen = b;
    },
    () => {},
  );
  r.push(chunk);
  assert.equal(seen, chunk);
});

test('a line past the limit is reported once and thrown away, whatever the chunking; the next line is read', () => {
  const { r, lines, overflows } = reader(16);
  r.push(enc('short\n'));
  r.push(enc('x'.repeat(10)));
  r.push(enc('x'.repeat(10)));
  assert.deepEqual(overflows, [20]);
  r.push(enc('x'.repeat(100)));
  assert.equal(r.buffered, 0, 'nothing of the long line is buffered');
  r.push(enc('xxx\nok\n'));
  assert.deepEqual(lines, ['short', 'ok']);
  assert.equal(r.oversized, 1);
  // In one chunk too.
  r.push(enc(`${'y'.repeat(40)}\nafter\n`));
  assert.deepEqual(overflows, [20, 40]);
  assert.deepEqual(lines, ['short', 'ok', 'after']);
});

test('a megabyte without a newline costs no more than the limit', () => {
  const { r, overflows } = reader(256 * 1024);
  const mb = new Uint8Array(1 << 20).fill(0x41);
  for (let i = 0; i < 16; i++) r.push(mb.subarray(i * 65536, (i + 1) * 65536));
  assert.equal(overflows.length, 1);
  assert.equal(r.buffered, 0);
});
