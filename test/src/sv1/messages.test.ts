/**
 * The V1 message table and envelope: what pools send, in every variant seen in the wild (ESP-Miner's
 * test_stratum_json.c lines, public-pool's capture), and the refusals that name the field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sv1ProtocolError } from '../../../src/sv1/errors.js';
import { answerOf, parseSv1Message, type Sv1Request, type Sv1Response } from '../../../src/sv1/json-rpc.js';
import {
  Configure,
  decodeConfigureResult,
  METHODS,
  Notify,
  Reconnect,
  SetDifficulty,
  SetExtranonce,
  SetVersionMask,
  Submit,
  SubscribeResult,
} from '../../../src/sv1/messages.js';
import { bytesToHex } from '../../../src/util/hex.js';

// ESP-Miner components/stratum/test/test_stratum_json.c: a mainnet notify with 12 branches.
const ESP_NOTIFY =
  '{"id":null,"method":"mining.notify","params":["1d2e0c4d3d","ef4b9a48c7986466de4adc002f7337a6e121bc43000376ea0000000000000000",' +
  '"01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4b03a5020cfabe6d6d379ae882651f6469f2ed6b8b40a4f9a4b41fd838a3ad6de8cba775f4e8f1d3080100000000000000",' +
  '"41903d4c1b2f736c7573682f0000000003ca890d27000000001976a9147c154ed1dc59609e3d26abb2df2ea3d587cd8c4188ac00000000000000002c6a4c2952534b424c4f434b3a4cb4cb2ddfc37c41baf5ef6b6b4899e3253a8f1dfc7e5dd68a5b5b27005014ef0000000000000000266a24aa21a9ed5caa249f1af9fbf71c986fea8e076ca34ae3514fb2f86400561b28c7b15949bf00000000",' +
  '["ae23055e00f0f697cc3640124812d96d4fe8bdfa03484c1c638ce5a1c0e9aa81","980fb87cb61021dd7afd314fcb0dabd096f3d56a7377f6f320684652e7410a21","a52e9868343c55ce405be8971ff340f562ae9ab6353f07140d01666180e19b52","7435bdfa004e603953b2ed39f118803934d9cf17b06d979ceb682f2251bafac2","2a91f061a22d27cb8f44eea79938fb241ebeb359891aa907f05ffde7ed44e52e","302401f80eb5e958155135e25200bb8ea181ad2d05e804a531c7314d86403cdc","318ecb6161eb9b4cfd802bd730e2d36c167ddf102e70aa7b4158e2870dd47392","1114332a9858e0cf84b2425bb1e59eaabf91dd102d114aa443d57fc1b3beb0c9","f43f38095c810613ed795a44d9fab02ff25269706f454885db9be05cdf9c06e1","3e2fc26b27fddc39668b59099cd9635761bb72ed92404204e12bdff08b16fb75","463c19427286342120039a83218fa87ce45448e246895abac11fff0036076758","03d287f655813e540ddb9c4e7aeb922478662b0f5d8e9d0cbd564b20146bab76"],' +
  '"20000004","1705c739","64495522",false]}';

function request(line: string): Sv1Request {
  const m = parseSv1Message(line);
  assert.equal(m.kind, 'request');
  return m as Sv1Request;
}

function response(line: string): Sv1Response {
  const m = parseSv1Message(line);
  assert.equal(m.kind, 'response');
  return m as Sv1Response;
}

function badParams(fn: () => unknown, field: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof Sv1ProtocolError && e.code === 'bad-params' && field.test(e.message));
}

test('mining.notify from ESP-Miner’s tests: every field, clean_jobs from the last param (9 or 10 params)', () => {
  const n = Notify.decode(request(ESP_NOTIFY).params);
  assert.equal(n.jobId, '1d2e0c4d3d');
  assert.equal(n.version, 0x20000004);
  assert.equal(n.nbits, 0x1705c739);
  assert.equal(n.ntime, 0x64495522);
  assert.equal(n.merkleBranch.length, 12);
  assert.equal(bytesToHex(n.merkleBranch[0]), 'ae23055e00f0f697cc3640124812d96d4fe8bdfa03484c1c638ce5a1c0e9aa81');
  assert.equal(n.cleanJobs, false);
  // ESP-Miner's 10-param variant: an extra value before the flag.
  const ten = request(ESP_NOTIFY).params.slice(0, 8).concat(['64495522', true]);
  assert.equal(Notify.decode(ten).cleanJobs, true);
  // Round trip through the table.
  assert.deepEqual(Notify.decode(JSON.parse(Notify.encodeParams(n))), n);
});

test('public-pool writes version and nbits without zero padding; both read as numbers', () => {
  const params = request(ESP_NOTIFY).params.slice();
  params[5] = '4';
  params[6] = '207fffff';
  assert.equal(Notify.decode(params).version, 4);
  const n = Notify.decode(request(ESP_NOTIFY).params);
  assert.match(Notify.encodeParams({ ...n, version: 4 }, { unpaddedHex: true }), /,"4","1705c739",/);
  assert.match(Notify.encodeParams({ ...n, version: 4 }), /,"00000004","1705c739",/);
});

test('a malformed notify is refused naming the field: a prev hash of the wrong length, too few params', () => {
  const params = request(ESP_NOTIFY).params.slice();
  params[1] = (params[1] as string).slice(0, 62);
  badParams(() => Notify.decode(params), /mining\.notify prevhash: expected 32 bytes/);
  badParams(() => Notify.decode([]), /mining\.notify: needs 9 params/);
  const branch = request(ESP_NOTIFY).params.slice();
  branch[4] = ['00'];
  badParams(() => Notify.decode(branch), /mining\.notify merkle_branch\[0\]: expected 32 bytes/);
  const flag = request(ESP_NOTIFY).params.slice();
  flag[8] = 'true';
  badParams(() => Notify.decode(flag), /mining\.notify clean_jobs: must be true or false/);
});

test('mining.set_difficulty: integers and fractions taken; NaN, 0, negative and absurd values refused', () => {
  assert.equal(
    SetDifficulty.decode(request('{"id":null,"method":"mining.set_difficulty","params":[1638]}').params).difficulty,
    1638,
  );
  assert.equal(SetDifficulty.decode([100.5]).difficulty, 100.5);
  assert.equal(SetDifficulty.decode([16383.75]).difficulty, 16383.75);
  assert.equal(SetDifficulty.decode([1e-5]).difficulty, 1e-5);
  badParams(() => SetDifficulty.decode(['NaN']), /difficulty: must be a number, got "NaN"/);
  badParams(() => SetDifficulty.decode([Number.NaN]), /difficulty: must be a number/);
  badParams(() => SetDifficulty.decode([0]), /must be above 0/);
  badParams(() => SetDifficulty.decode([-1]), /must be above 0/);
  badParams(() => SetDifficulty.decode([1e300]), /not a believable share difficulty/);
  badParams(() => SetDifficulty.decode([1e-12]), /not a believable share difficulty/);
  badParams(() => SetDifficulty.decode([]), /needs 1 params/);
  // A literal NaN is not JSON at all: the line itself is refused.
  assert.throws(
    () => parseSv1Message('{"id":null,"method":"mining.set_difficulty","params":[NaN]}'),
    (e: unknown) => e instanceof Sv1ProtocolError && e.code === 'invalid-json',
  );
});

test('extranonce2_size 1..8 only: 0 and 9 refused in the subscribe answer and in set_extranonce', () => {
  const ok = SubscribeResult.decode([[['mining.notify', '695482c0']], '4de05269', 8]);
  assert.equal(bytesToHex(ok.extranonce1), '4de05269');
  assert.equal(ok.extranonce2Size, 8);
  badParams(
    () => SubscribeResult.decode([[], '4de05269', 0]),
    /extranonce2_size: 0 bytes is not a size a device can roll/,
  );
  badParams(() => SubscribeResult.decode([[], '4de05269', 9]), /9 bytes is not a size/);
  badParams(() => SubscribeResult.decode([[['mining.notify', 'abc']], '4de05269']), /needs 3 params/);
  assert.equal(SetExtranonce.decode(['deadbeef', 8]).extranonce2Size, 8);
  badParams(() => SetExtranonce.decode(['deadbeef', 0]), /extranonce2_size/);
  badParams(() => SetExtranonce.decode([]), /needs 2 params/);
});

test('set_version_mask, client.reconnect (null = same), configure answers of every kind', () => {
  const mask = request('{"id":1,"method":"mining.set_version_mask","params":["1fffe000"]}');
  assert.equal(mask.id, 1);
  assert.equal(SetVersionMask.decode(mask.params).mask, 0x1fffe000);
  assert.deepEqual(Reconnect.decode([]), {});
  assert.deepEqual(Reconnect.decode(['pool.example', '3334', 5]), { host: 'pool.example', port: 3334, wait: 5 });
  assert.deepEqual(Reconnect.decode([null, 3334]), { port: 3334 });
  badParams(() => Reconnect.decode(['bad host!']), /client\.reconnect host/);
  assert.deepEqual(decodeConfigureResult({ 'version-rolling': true, 'version-rolling.mask': '1fffe000' }), {
    granted: true,
    mask: 0x1fffe000,
    reason: null,
  });
  assert.equal(decodeConfigureResult({ 'version-rolling': false }).granted, false);
  assert.equal(decodeConfigureResult({}).granted, false);
  assert.equal(decodeConfigureResult({ 'version-rolling': 'not supported' }).reason, 'not supported');
  const configure = Configure.line(1, {
    extensions: ['version-rolling'],
    parameters: { 'version-rolling.mask': 'ffffffff' },
  });
  assert.equal(
    configure,
    '{"id":1,"method":"mining.configure","params":[["version-rolling"],{"version-rolling.mask":"ffffffff"}]}\n',
  );
});

test('envelope: dispatch by keys, not by id; responses with and without an error key; garbage refused', () => {
  assert.equal(parseSv1Message('{"id":null,"method":"mining.ping","params":[]}').kind, 'request');
  assert.equal(parseSv1Message('{"method":"mining.ping"}').kind, 'request');
  assert.equal(parseSv1Message('{"jsonrpc":"2.0","id":3,"result":true}').kind, 'response');
  assert.equal(parseSv1Message('{"id":4,"error":null,"result":true}').kind, 'response');
  assert.throws(() => parseSv1Message('invalid json'), /not JSON/);
  assert.throws(() => parseSv1Message('[1,2]'), /not a JSON object/);
  assert.throws(() => parseSv1Message('{"id":1}'), /neither a method call nor an answer/);
  assert.throws(() => parseSv1Message('{"method":"x","params":{}}'), /"params" must be an array/);
});

test('reject reasons in every shape pools use (ESP-Miner’s test_stratum_json.c and the public-pool capture)', () => {
  const cases: Array<[string, string]> = [
    ['{"id":4,"result":null,"error":[21,"Job not found",""]}', 'Job not found'],
    ['{"id":12,"result":null,"error":[22,"Duplicate share",""]}', 'Duplicate share'],
    ['{"reject-reason":"Above target 2","result":false,"error":null,"id":8}', 'Above target 2'],
    ['{"result":false,"error":"Stale","id":618}', 'Stale'],
    ['{"result":null,"error":"Stale","id":618}', 'Stale'],
    ['{"jsonrpc":"2.0","error":{"code":22,"message":"duplicate share","data":null},"id":42}', 'duplicate share'],
    ['{"id":9,"result":false,"error":null}', 'rejected without a reason'],
    ['{"id":9,"result":false}', 'rejected without a reason'],
  ];
  for (const [line, reason] of cases) {
    const a = answerOf(response(line), true);
    assert.equal(a.ok, false, line);
    if (!a.ok) assert.equal(a.reason, reason, line);
  }
  assert.deepEqual(answerOf(response('{"id":5,"error":null,"result":true}'), true), { ok: true, result: true });
  const coded = answerOf(response('{"id":5,"result":null,"error":[23,"Difficulty too low",""]}'), true);
  assert.equal(coded.ok ? null : coded.code, 23);
  // A reason is one printable, bounded line whatever the pool sends.
  const long = answerOf(response(`{"id":1,"result":false,"error":"a\\nb${'x'.repeat(500)}"}`), true);
  assert.ok(!long.ok && long.reason.length < 200 && !long.reason.includes('\n'));
});

test('every method in the table round-trips its own encoding', () => {
  const submit = Submit.decode(['w.1', 'job', '00000001', '6b16ceaa', '003f7376', '0a002000']);
  assert.deepEqual(Submit.decode(JSON.parse(Submit.encodeParams(submit))), submit);
  const noBits = Submit.decode(['w.1', 'job', '00000001', '6b16ceaa', '003f7376']);
  assert.equal(noBits.versionBits, undefined);
  assert.equal(Submit.encodeParams(noBits), '["w.1","job","00000001","6b16ceaa","003f7376"]');
  for (const [name, def] of METHODS) assert.equal(def.method, name);
});
