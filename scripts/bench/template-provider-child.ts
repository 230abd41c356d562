/**
 * The synthetic Template Provider for template.bench, in its own process (as the real sv2-tp is), so building
 * 4,000-transaction templates never runs on the device's event loop. Prints {"url": …} once listening; then
 * each line on stdin is a command: `block` (the network finds a block confirming nothing, so the next template
 * keeps every transaction) or `fee` (one more transaction: a fee update on the same tip).
 */
import { createInterface } from 'node:readline';
import { SyntheticTemplateProvider } from '../../src/sv2/pool/synthetic-template-provider.js';

const txs = Number(process.argv[2] ?? '4000');
const tp = await SyntheticTemplateProvider.start({
  chain: { nbits: 0x207fffff, txIntervalMs: 0, initialTransactions: txs, maxMempool: txs + 10_000 },
  templateIntervalMs: 1,
});
const template = tp.chain.template();
process.stdout.write(`${JSON.stringify({ url: tp.url, transactions: template.transactions.length })}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'block') tp.chain.mineNetworkBlock(0);
  else if (line === 'fee') tp.chain.addTransactions(1);
});
process.stdin.on('end', () => {
  void tp.close().then(() => process.exit(0));
});
