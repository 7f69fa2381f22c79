import type { Scenario } from '../bench-context';
import { alertsScenario } from './alerts';
import { consoleScenario } from './console';
import { costsScenario } from './costs';
import { detectScenario } from './detect';
import { discoveryScenario } from './discovery';
import { evidenceScenario } from './evidence';
import { hostileScenario } from './hostile';
import { ingestScenario } from './ingest';
import { insightsScenario } from './insights';
import { memoryScenario } from './memory';
import { parseScenario } from './parse';
import { queryScenario } from './query';
import { scalingScenario } from './scaling';
import { storageScenario } from './storage';

/**
 * In run order: query, hostile, console, storage and scaling use the namespace the ingest scenario indexed (`ctx.shared`);
 * storage force-merges it, so it runs after query and console; scaling drops it before its own run. detect ingests
 * namespaces of its own; costs uses data of its own. evidence exports the ingested namespace (before scaling drops
 * it) when ingest ran, else data of its own.
 */
export const SCENARIOS: Scenario[] = [parseScenario, discoveryScenario, ingestScenario, queryScenario, hostileScenario, consoleScenario, storageScenario, evidenceScenario, memoryScenario, scalingScenario, detectScenario, costsScenario, insightsScenario, alertsScenario];
