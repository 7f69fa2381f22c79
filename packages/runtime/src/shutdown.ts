type Hook = () => Promise<void> | void;

/**
 * Runs registered hooks once, newest first, on SIGINT/SIGTERM or when called. A second signal exits at once so an
 * operator is never stuck behind a hung close.
 */
export function createShutdown(onSignalExitCode = 130) {
  const hooks: Hook[] = [];
  let running: Promise<void> | undefined;
  let signals = 0;

  const run = (): Promise<void> => {
    running ??= (async () => {
      for (const hook of hooks.reverse()) {
        try {
          await hook();
        } catch {
          // a failing close must not prevent the others
        }
      }
    })();
    return running;
  };

  const onSignal = () => {
    signals += 1;
    if (signals > 1) process.exit(onSignalExitCode);
    void run().then(() => process.exit(onSignalExitCode));
  };

  return {
    add(hook: Hook) {
      hooks.push(hook);
    },
    listen() {
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    },
    run,
  };
}
