import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../../firmware/api/http-io.js';
import {
  applyPoolPatch,
  axeosPool,
  failoverOrder,
  type PoolTable,
  poolsOf,
  removePoolSlot,
  slotFromPool,
} from '../../../firmware/api/pool-slots.js';

const KEY = '9bXiEd8bLY6kVG5fH3dMsyGmLhhwMWdb4WHHPZSKpPMTTG6hcqV';

function table(): PoolTable {
  return {
    slots: [
      slotFromPool({ url: `sv2+tcp://pool.example:34254/${KEY}`, user: 'w1', authorityKey: null }, 0),
      slotFromPool({ url: 'stratum+tcp://v1.example:3333', user: 'w2', authorityKey: null, password: 'pw' }, 1),
    ],
    primaryIndex: 0,
    secondaryIndex: 1,
    useFallback: false,
  };
}

test('configured URLs read as AxeOS slots: bare host, port, protocol, key; and back to the same URLs', () => {
  const t = table();
  assert.deepEqual(axeosPool(t.slots[0], { slotId: 0, channelKind: 'extended' }), {
    id: 0,
    stratumProtocol: 'SV2',
    stratumURL: 'pool.example',
    stratumPort: 34254,
    stratumUser: 'w1',
    stratumPassword: '*****',
    stratumSuggestedDifficulty: 0,
    stratumExtranonceSubscribe: false,
    stratumTLS: 0,
    stratumCert: '',
    stratumDecodeCoinbase: true,
    stratumV2ChannelType: 'extended',
    stratumV2AuthorityPubkey: KEY,
    stratumV2RequireAuth: true,
  });
  assert.equal(axeosPool(t.slots[1], null).stratumProtocol, 'SV1');
  assert.deepEqual(poolsOf(t), [
    { url: `sv2+tcp://pool.example:34254/${KEY}`, user: 'w1', authorityKey: KEY, channel: 'auto' },
    {
      url: 'stratum+tcp://v1.example:3333',
      user: 'w2',
      authorityKey: null,
      password: 'pw',
      suggestDifficulty: null,
      extranonceSubscribe: false,
      tlsCa: null,
    },
  ]);
  const ipv6 = slotFromPool({ url: 'stratum+ssl://[2001:db8::1]:443', user: 'w', authorityKey: null }, 2);
  assert.equal(ipv6.host, '2001:db8::1');
  assert.equal(ipv6.tls, 1);
});

test('a pool page PATCH: masked passwords kept, indexes and fallback order the failover list', () => {
  const next = applyPoolPatch(
    {
      primaryPoolIndex: 1,
      secondaryPoolIndex: 0,
      pools: [{ id: 1, stratumURL: 'v1.example', stratumPort: 3334, stratumUser: 'w3', stratumPassword: '*****' }],
    },
    table(),
  )!;
  assert.equal(next.slots[1].password, 'pw', '"*****" keeps the stored password');
  assert.equal(next.slots[1].port, 3334);
  assert.deepEqual(
    failoverOrder(next).map((s) => s.id),
    [1, 0],
  );
  const forced = applyPoolPatch({ useFallbackStratum: 1 }, table())!;
  assert.deepEqual(
    failoverOrder(forced).map((s) => s.id),
    [1, 0],
    'useFallbackStratum tries the secondary first',
  );
  assert.equal(applyPoolPatch({ hostname: 'x' }, table()), null, 'no pool keys: nothing to do');
  // pyasic's form: a full URL in stratumURL sets protocol and port.
  const py = applyPoolPatch(
    { pools: [{ id: 0, stratumURL: 'stratum+tcp://other.example:3335', stratumUser: 'p' }] },
    table(),
  )!;
  assert.deepEqual([py.slots[0].protocol, py.slots[0].host, py.slots[0].port], ['SV1', 'other.example', 3335]);
});

test('bad pool input is refused with the field named, and never echoes a long value', () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [
      { pools: [{ id: 2, stratumURL: '', stratumPort: 1, stratumUser: 'u' }] },
      /pools\[2\]\.stratumURL must be a string of 1 to 255/,
    ],
    [
      { pools: [{ id: 2, stratumURL: 'h', stratumPort: 70000, stratumUser: 'u' }] },
      /stratumPort must be a whole number/,
    ],
    [
      { pools: [{ id: 2, stratumURL: 'h', stratumPort: 1, stratumUser: 'u', stratumProtocol: 'SV2' }] },
      /needs its authority public key/,
    ],
    [{ pools: [{ id: 9, stratumURL: 'h', stratumPort: 1, stratumUser: 'u' }] }, /id must be a slot from 0 to 7/],
    [{ pools: [{ id: 2, stratumURL: 'a b/c', stratumPort: 1, stratumUser: 'u' }] }, /must be a host name or address/],
    [{ pools: [{ id: 2, stratumURL: 'h', stratumPort: 1, stratumUser: 'x'.repeat(300) }] }, /a 300-character string/],
    [{ primaryPoolIndex: 5 }, /primaryPoolIndex 5 names an empty pool slot/],
    [{ pools: 'nope' }, /pools must be an array/],
  ];
  for (const [body, message] of cases) {
    assert.throws(
      () => applyPoolPatch(body, table()),
      (e: unknown) => e instanceof HttpError && e.status === 400 && message.test(e.message) && e.message.length < 200,
      JSON.stringify(body).slice(0, 80),
    );
  }
  assert.throws(() => removePoolSlot(table(), 0), /primary pool/);
  assert.deepEqual(
    removePoolSlot({ ...table(), secondaryIndex: 0 }, 1).slots.map((s) => s.id),
    [0],
  );
});

test('the channel kind and V1 options round-trip: config → slot → AxeOS fields → PATCH → the pool the daemon mines on', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const t: PoolTable = {
    slots: [
      slotFromPool(
        { url: `sv2+tcp://pool.example:34254/${KEY}`, user: 'w1', authorityKey: null, channel: 'standard' },
        0,
      ),
      slotFromPool(
        {
          url: 'stratum+ssl://v1.example:4333',
          user: 'w2',
          authorityKey: null,
          suggestDifficulty: 512,
          extranonceSubscribe: true,
          tlsCa: pem,
        },
        1,
      ),
    ],
    primaryIndex: 0,
    secondaryIndex: 1,
    useFallback: false,
  };
  const sv2 = axeosPool(t.slots[0], null);
  assert.equal(sv2.stratumV2ChannelType, 'standard', 'what the slot asks for while it is not mining');
  const v1 = axeosPool(t.slots[1], null);
  assert.equal(v1.stratumSuggestedDifficulty, 512);
  assert.equal(v1.stratumExtranonceSubscribe, true);
  assert.equal(v1.stratumTLS, 2);
  assert.equal(v1.stratumCert, pem);
  // The pool page sends every field back as it showed them, with one change each.
  const next = applyPoolPatch(
    {
      pools: [
        { ...sv2, stratumV2ChannelType: 'extended' },
        { ...v1, stratumSuggestedDifficulty: 1024, stratumExtranonceSubscribe: false },
      ],
    },
    t,
  );
  assert.ok(next);
  const [a, b] = poolsOf(next);
  assert.equal(a.channel, 'extended');
  assert.equal(b.suggestDifficulty, 1024);
  assert.equal(b.extranonceSubscribe, false);
  assert.equal(b.tlsCa, pem, 'the trusted certificate kept');
  assert.equal(b.password, 'x', 'the masked password leaves the old one');
  // An "extended" shown for an auto slot sent back unchanged keeps auto (extended first, standard if refused).
  const auto = { ...t, slots: [slotFromPool({ url: `sv2+tcp://p:1/${KEY}`, user: 'w', authorityKey: null }, 0)] };
  const same = applyPoolPatch({ pools: [axeosPool(auto.slots[0], null)] }, auto);
  assert.equal(same && poolsOf(same)[0].channel, 'auto');
  assert.throws(
    () => applyPoolPatch({ pools: [{ ...v1, stratumTLS: 2, stratumCert: '' }] }, t),
    (e: unknown) => e instanceof HttpError && /stratumCert/.test(e.message),
  );
  assert.throws(
    () => applyPoolPatch({ pools: [{ ...v1, stratumSuggestedDifficulty: -1 }] }, t),
    (e: unknown) => e instanceof HttpError && /stratumSuggestedDifficulty/.test(e.message),
  );
});
