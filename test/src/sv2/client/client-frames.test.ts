import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameEvent } from '../../../../src/sv2/client/mining-client.js';
import { SetupConnectionSuccess } from '../../../../src/sv2/messages/common.js';
import {
  NewMiningJob,
  OpenStandardMiningChannelSuccess,
  SetNewPrevHash,
  SubmitSharesSuccess,
} from '../../../../src/sv2/messages/mining.js';
import { nextEvent, startTestPool, testClient } from '../../../support/sv2-net.js';

test('the client reports every decrypted frame, in order, before acting on it', async () => {
  const pool = await startTestPool({ sharesPerMinute: 60 }, 1);
  const client = testClient(pool);
  const frames: FrameEvent[] = [];
  // When the prevHash event fires, its frame has already been reported.
  let reportedBeforePrevHash = false;
  client.on('frame', (f) => frames.push(f));
  client.on('prevHash', () => {
    reportedBeforePrevHash = frames.at(-1)?.msgType === SetNewPrevHash.msgType;
  });
  try {
    const prevHash = nextEvent(client, 'prevHash');
    await client.connect();
    await prevHash;
    const types = frames.map((f) => f.msgType);
    assert.deepEqual(types.slice(0, 2), [SetupConnectionSuccess.msgType, OpenStandardMiningChannelSuccess.msgType]);
    assert.ok(types.includes(NewMiningJob.msgType));
    assert.ok(reportedBeforePrevHash);
    assert.ok(frames.every((f) => f.extensionType === 0 && f.payloadBytes > 0));
    assert.equal(types.includes(SubmitSharesSuccess.msgType), false);
  } finally {
    client.close();
    await pool.close();
  }
});
