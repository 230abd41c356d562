import { parentPort } from 'node:worker_threads';
import { checkTemplateTransactions, type TemplateCommitments, type TransactionData } from './template-check.js';

/** Worker-thread entry: checks templates against their transactions for TemplateChecker. */
const port = parentPort;
if (port === null) throw new Error('template-check-worker must run as a worker thread');

port.on('message', (m: { id: number; template: TemplateCommitments; data: TransactionData }) => {
  let problem: string | null;
  try {
    problem = checkTemplateTransactions(m.template, m.data);
  } catch (err) {
    problem = `the check failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  port.postMessage({ id: m.id, problem });
});
