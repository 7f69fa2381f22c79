/**
 * Jest runs the global setup and teardown in the same process, so what the setup started is handed over on
 * globalThis (the only channel jest leaves between the two).
 */
const KEY = Symbol.for('trailscope.integration.teardown');

type Action = () => Promise<void>;

export function setTeardownAction(action: Action): void {
  (globalThis as Record<symbol, Action | undefined>)[KEY] = action;
}

export function takeTeardownAction(): Action | undefined {
  const g = globalThis as Record<symbol, Action | undefined>;
  const action = g[KEY];
  g[KEY] = undefined;
  return action;
}
