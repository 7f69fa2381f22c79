import { rm } from 'node:fs/promises';
import type { TestScope } from '../../ingest/support/services';
import type { CliProcess } from '../../ingest/support/processes';
import type { AlertReceiver } from './receiver';

/** What an alerts suite leaves behind: processes it started, its receiver, queue, namespace and scratch folder. */
export interface AlertSuiteState {
  running: CliProcess[];
  receiver?: AlertReceiver;
  queue?: { close(): Promise<unknown> };
  scope?: TestScope;
  dir?: string;
}

export async function tearDownAlertSuite(s: AlertSuiteState): Promise<void> {
  for (const p of s.running) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  await s.receiver?.down();
  await s.queue?.close();
  await s.scope?.close();
  if (s.dir) await rm(s.dir, { recursive: true, force: true });
}
