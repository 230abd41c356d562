import type { TemplateInfo } from '../../src/mining/job-source.js';
import type { TemplatesStatus } from '../api/mining-status.js';
import { redact, type UpstreamState } from './upstream.js';

/** Where templates come from and who is paid, for the API, /metrics and the status line. */
export function templatesStatus(up: UpstreamState | null, latest: TemplateInfo | null): TemplatesStatus {
  const solo = up?.pool.solo;
  if (up === null || solo === undefined) {
    return {
      source: 'pool',
      endpoint: up === null ? null : redact(up.pool.url),
      chain: null,
      payout: null,
      template: null,
    };
  }
  const t = up.connected ? latest : null;
  return {
    source: solo.kind,
    endpoint: redact(up.pool.url),
    chain: solo.chain ?? up.templates?.chain ?? null,
    payout: solo.payout.text,
    template:
      t === null
        ? null
        : {
            height: t.height,
            transactions: t.transactions,
            networkDifficulty: t.networkDifficulty,
            coinbaseValueSats: Number(t.coinbaseValueSats),
            payoutSats: Number(t.payoutSats),
          },
  };
}
