/** The server key alerts suites run with: `alerts apply` seals the stored configuration under it, senders open it. */
export const SERVER_KEY = 'alerts-test-server-key-0123456789abcdef';

/** Environment of the trailscope processes of an alerts suite. */
export function alertsEnv(namespace: string): Record<string, string> {
  return { TRAILSCOPE_NAMESPACE: namespace, TRAILSCOPE_JOB_LOCK_MS: '4000', TRAILSCOPE_SERVER_KEY: SERVER_KEY };
}
