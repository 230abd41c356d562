/**
 * The local pool's door, alone on a manual clock: who takes whose slot when the pool is full, the per-address
 * limit, the handshake and idle deadlines, and a flood of handshakes and idle channels from many addresses that
 * never dislodges a miner from its own address.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../../src/sv2/clock.js';
import {
  ConnectionGate,
  type GateCloseCode,
  type GateLimits,
  normalizeAddress,
  type Slot,
} from '../../../../src/sv2/pool/connection-gate.js';

interface Conn {
  slot: Slot;
  closed: { code: GateCloseCode; reason: string } | null;
}

const codeOf = (c: Conn): GateCloseCode | null => c.closed?.code ?? null;

function gate(limits: Partial<GateLimits> = {}) {
  const clock = new ManualClock(1_000_000);
  const g = new ConnectionGate(
    { maxConnections: 8, maxPerAddress: 4, handshakeTimeoutMs: 10_000, idleTimeoutMs: 300_000, ...limits },
    clock,
  );
  const open = (address: string): Conn | null => {
    const conn = { closed: null } as unknown as Conn;
    const a = g.admit(address, (code, reason) => {
      conn.closed = { code, reason };
    });
    if (!a.admitted) return null;
    conn.slot = a.slot;
    return conn;
  };
  return { clock, g, open };
}

test('full: a newcomer takes a non-miner’s slot from the busiest address, a handshake before a channel, the oldest first', () => {
  const { clock, g, open } = gate();
  const busy = [open('10.0.0.1'), open('10.0.0.1'), open('10.0.0.1')] as Conn[];
  clock.advance(10);
  const lone = open('10.0.0.2') as Conn;
  const others = ['10.0.0.3', '10.0.0.3', '10.0.0.4', '10.0.0.4'].map((a) => open(a) as Conn);
  g.ready(busy[0].slot);
  g.ready(lone.slot);
  assert.equal(g.stats().open, 8);
  const newcomer = open('10.0.0.9');
  assert.ok(newcomer !== null);
  // The busiest address (3) loses its oldest handshake (busy[1]), not its channel (busy[0]) nor the lone one.
  assert.deepEqual(
    busy.map((c) => c.closed?.code ?? null),
    [null, 'evicted', null],
  );
  assert.match(busy[1].closed!.reason, /the pool is full \(8 connections\)/);
  assert.equal(lone.closed, null);
  assert.ok(others.every((c) => c.closed === null));
  assert.equal(g.stats().evicted, 1);
});

test('every slot mining from its own address: a newcomer is refused; from a busy address one miner gives way', () => {
  const { g, open } = gate({ maxConnections: 4 });
  const miners = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((a) => open(a) as Conn);
  for (const m of miners) {
    g.ready(m.slot);
    g.share(m.slot, true);
  }
  assert.equal(open('10.0.0.9'), null, 'refused');
  assert.equal(g.stats().refused, 1);
  assert.ok(miners.every((m) => m.closed === null));
  // A proxy holding three mining connections: a new address takes one of them.
  const { g: g2, open: open2 } = gate({ maxConnections: 4 });
  const proxy = ['10.0.0.5', '10.0.0.5', '10.0.0.5'].map((a) => open2(a) as Conn);
  const solo = open2('10.0.0.6') as Conn;
  for (const m of [...proxy, solo]) {
    g2.ready(m.slot);
    g2.share(m.slot, true);
  }
  assert.ok(open2('10.0.0.9') !== null);
  assert.equal(proxy.filter((c) => c.closed?.code === 'evicted').length, 1);
  assert.equal(solo.closed, null, 'a lone miner never gives way');
});

test('per address: one more from an address replaces its own least valuable connection, or is refused when all mine', () => {
  const { g, open } = gate({ maxPerAddress: 3 });
  const mine = [open('10.0.0.1'), open('10.0.0.1'), open('10.0.0.1')] as Conn[];
  g.ready(mine[0].slot);
  g.share(mine[0].slot, true);
  g.ready(mine[1].slot);
  const fourth = open('10.0.0.1');
  assert.ok(fourth !== null);
  assert.deepEqual(
    mine.map((c) => c.closed?.code ?? null),
    [null, null, 'evicted'],
    'the handshake goes',
  );
  assert.match(mine[2].closed!.reason, /at most 3 per address/);
  for (const c of [mine[1], fourth]) {
    g.ready(c.slot);
    g.share(c.slot, true);
  }
  assert.equal(open('10.0.0.1'), null, 'three miners from it already');
  assert.ok(open('10.0.0.2') !== null, 'another address is not affected');
  assert.equal(normalizeAddress('::ffff:127.0.0.3'), '127.0.0.3');
});

test('deadlines: not ready within the handshake timeout, or no share for the idle timeout, and the connection goes', () => {
  const { clock, g, open } = gate({ handshakeTimeoutMs: 10_000, idleTimeoutMs: 60_000 });
  const slow = open('10.0.0.1') as Conn;
  const idle = open('10.0.0.2') as Conn;
  const miner = open('10.0.0.3') as Conn;
  g.ready(idle.slot);
  g.ready(miner.slot);
  clock.advance(9_999);
  g.sweep();
  assert.equal(slow.closed, null);
  clock.advance(1);
  g.sweep();
  assert.equal(codeOf(slow), 'handshake-timeout');
  for (let t = 0; t < 60; t++) {
    clock.advance(1000);
    if (t % 10 === 0) g.share(miner.slot, true);
    g.sweep();
  }
  assert.equal(codeOf(idle), 'idle-timeout');
  assert.match(idle.closed!.reason, /no share for 60 s/);
  assert.equal(miner.closed, null);
  assert.deepEqual([g.stats().open, g.stats().handshakeTimeouts, g.stats().idleTimeouts], [1, 1, 1]);
});

test('a flood of 10,000 handshakes from 40 addresses over 63 idle channels: a miner from its own address is never dislodged', () => {
  const { clock, g, open } = gate({ maxConnections: 64, maxPerAddress: 16 });
  const idle: Conn[] = [];
  for (let i = 0; i < 63; i++) {
    const c = open(`127.0.0.${10 + Math.floor(i / 16)}`) as Conn;
    g.ready(c.slot);
    idle.push(c);
  }
  let miner = null as Conn | null;
  let refused = 0;
  for (let n = 0; n < 10_000; n++) {
    clock.advance(1);
    if (open(`127.0.0.${20 + (n % 40)}`) === null) refused++;
    if (n === 500) miner = open('127.0.0.1');
    if (n === 510) g.ready((miner as Conn).slot);
    if (n === 3000) g.share((miner as Conn).slot, true);
    if (miner !== null) assert.equal(miner.closed, null, `the miner, after ${n} attacker connections`);
  }
  assert.equal(refused, 0, 'nobody is refused while slots can be freed');
  assert.equal(g.stats().open, 64);
  // The idle channels' four addresses (16 each) gave way first, until no address held much more than another.
  assert.ok(idle.filter((c) => c.closed !== null).length >= 48, 'most idle channels gave way');
});
