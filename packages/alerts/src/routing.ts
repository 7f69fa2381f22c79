import { ALERT_LEVELS, type AlertsConfig } from './alerts-config';
import type { AlertFinding } from './alert';

const rank = (level: string): number => (ALERT_LEVELS as readonly string[]).indexOf(level);

/**
 * The destinations a finding goes to: every route whose conditions all hold (level at or above minLevel, rule among
 * `rules`, a tag among `tags`, account among `accounts`); each destination once.
 */
export function destinationsFor(f: AlertFinding, config: Pick<AlertsConfig, 'routes'>): string[] {
  const out = new Set<string>();
  for (const r of config.routes) {
    if (r.minLevel !== undefined && rank(f.ruleLevel) < rank(r.minLevel)) continue;
    if (r.rules !== undefined && !r.rules.includes(f.ruleId)) continue;
    if (r.tags !== undefined && !r.tags.some((t) => f.ruleTags.includes(t))) continue;
    if (r.accounts !== undefined && (f.account === undefined || !r.accounts.includes(f.account))) continue;
    out.add(r.destination);
  }
  return [...out];
}
