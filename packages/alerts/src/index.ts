/**
 * The API of @trailscope/alerts: only what other packages, tests and the bench import. A name used only inside the
 * package stays unexported; export one here (and in exports.txt beside this package's exports test) when another
 * package needs it.
 */
export { ALERT_LEVELS, durationMs, parseAlertsConfig, redactedConfig, type AlertsConfig, type DestinationConfig } from './alerts-config';
export { alertIdFor, signatureOf, slackBody, throttledAlertId, type Alert, type AlertFinding } from './alert';
export { alertsIndex, loadAlerts, storeAlerts, type AlertsSource, type LoadedAlerts } from './alerts-store';
export { activeMutes, muteRule, type Mute } from './mutes';
export { AlertPlanner, exceptedCounts, tailStreamKey, type AlertPlan } from './alert-planner';
export { backoffMs, startAlertSender, type AlertSender } from './alert-sender';
export { listOverflowed, markDelivery, requeueOverflowed, type OverflowedAlert } from './delivery-outbox';
