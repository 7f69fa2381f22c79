/** Stops what the global setup started; a stack that was already running stays up. */
import { takeTeardownAction } from './teardown-action';

export default async function globalTeardown(): Promise<void> {
  const action = takeTeardownAction();
  if (action) await action();
}
