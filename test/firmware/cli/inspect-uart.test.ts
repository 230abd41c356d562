import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOneLineReason, runCliCaptured, spawnCli } from '../../support/cli.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

interface Field {
  name: string;
  offset: number;
  hex: string;
  value: number | string | null;
  note?: string;
}

async function inspect(
  frame: string,
  ...extra: string[]
): Promise<{
  code: number;
  frame: { kind: string; crc: { ok: boolean }; fields: Field[]; direction: string; model: string | null };
}> {
  const run = await runCliCaptured(['inspect', 'uart', frame, '--json', ...extra]);
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object');
  return { code: run.code, frame: JSON.parse(lines[0]) };
}

const field = (fields: Field[], name: string): Field => {
  const f = fields.find((x) => x.name === name);
  assert.ok(f, `field ${name}`);
  return f;
};

test('inspect uart names the fields of a register write, with its meaning', async () => {
  const { code, frame } = await inspect('55aa51090014000080ff04');
  assert.equal(code, 0);
  assert.equal(frame.kind, 'write-register');
  assert.equal(frame.direction, 'host-to-chip');
  assert.equal(frame.crc.ok, true);
  assert.equal(field(frame.fields, 'register').note, 'TICKET_MASK');
  assert.equal(field(frame.fields, 'value').note, 'ticket difficulty 512');
  const pll = await inspect('55aa51090008404402210 7'.replace(' ', ''), '--chip', 'bm1397');
  assert.equal(field(pll.frame.fields, 'value').note, '425 MHz');
});

test('inspect uart decodes the real BM1370 job and nonce reply of the Bitaxe round trip', {
  skip: vectorsMissing,
}, async () => {
  const v = readVectorJson<{ jobFrameToChip: string; nonceResponseFromChip: string }>(
    'bm13xx/bm1370-roundtrip-capture.json',
  );
  const job = await inspect(v.jobFrameToChip);
  assert.equal(job.code, 0);
  assert.equal(job.frame.kind, 'job-full-header');
  assert.equal(field(job.frame.fields, 'job id').value, '0x68');
  assert.equal(field(job.frame.fields, 'nbits').value, '0x17023a04');
  assert.equal(field(job.frame.fields, 'version').value, '0x20000000');
  // Stratum V1's prevhash 6b6455fd 6db962c1 … (header order, each 4-byte word byte-swapped), in display order.
  assert.equal(
    field(job.frame.fields, 'previous hash').value,
    '000000000000000000015296bc96391d0d67f4a301f2d4fc6db962c16b6455fd',
  );
  const reply = await inspect(v.nonceResponseFromChip, '--chip', 'bm1370');
  assert.equal(reply.frame.kind, 'nonce-reply');
  assert.equal(field(reply.frame.fields, 'nonce').value, '0x7552034c');
  assert.equal(field(reply.frame.fields, 'job id').value, '0x68');
  assert.equal(field(reply.frame.fields, 'sub-core').value, 2);
  assert.equal(field(reply.frame.fields, 'core id').value, 38);
  assert.match(field(reply.frame.fields, 'version field').note ?? '', /0x00b44000/);
});

test('inspect uart decodes a BM1397 midstate job and a BM1397 chip-id reply', { skip: vectorsMissing }, async () => {
  const j = readVectorJson<{ jobs: Array<{ jobFrameToChip?: string }> }>('bm13xx/esp-miner-bm13xx.json').jobs[0];
  const job = await inspect(j.jobFrameToChip as string);
  assert.equal(job.frame.kind, 'job-midstate');
  assert.equal(job.frame.model, 'bm1397');
  assert.equal(field(job.frame.fields, 'num midstates').value, 4);
  assert.equal(field(job.frame.fields, 'midstate 0').hex.length, 64);
  const id = await inspect('aa5513971800000006');
  assert.equal(id.frame.kind, 'register-reply');
  assert.match(field(id.frame.fields, 'value').note ?? '', /chip id 0x1397 \(bm1397\)/);
});

test('inspect uart: a frame with a bad CRC is decoded, reported, and exits 1', async () => {
  const run = await runCliCaptured(['inspect', 'uart', '55aa520500000b']);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /CRC5 BAD \(frame 0x0b, computed 0x0a\)/);
  assert.ok(isOneLineReason(run.stderr));
});

const garbage: Array<[string, string[], RegExp]> = [
  ['not hex', ['inspect', 'uart', 'zz55'], /frame: not hex/],
  ['no preamble', ['inspect', 'uart', '0102030405'], /not a BM13xx frame: starts with 0102/],
  ['too short', ['inspect', 'uart', '55aa'], /too short/],
  ['wrong length', ['inspect', 'uart', '55aa520500000a00'], /is 7 bytes, got 8/],
  ['unknown header', ['inspect', 'uart', '55aa770500000a'], /unknown command header 0x77/],
  ['response of 10 bytes', ['inspect', 'uart', 'aa551370000000000000'], /9 bytes .* or 11 bytes, got 10/],
  ['missing frame', ['inspect', 'uart'], /expected a frame in hex/],
  ['bad --chip', ['inspect', 'uart', '55aa520500000a', '--chip', 'bm1234'], /--chip must be/],
];

for (const [name, argv, reason] of garbage) {
  test(`inspect uart on garbage (${name}) exits 2 with a one-line reason`, async () => {
    const run = await runCliCaptured(argv);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, reason);
    assert.ok(isOneLineReason(run.stderr), run.stderr);
  });
}

test('the real binary: inspect uart on garbage exits 2 with no stack trace', async () => {
  const run = await spawnCli(['inspect', 'uart', 'deadbeefdeadbeef', '--json']);
  assert.equal(run.code, 2);
  assert.ok(isOneLineReason(run.stderr), run.stderr);
  assert.match(run.stderr, /^hashaxe: not a BM13xx frame/);
});
