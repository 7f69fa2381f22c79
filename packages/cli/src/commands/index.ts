import type { Command } from 'commander';
import { registerStackCommand } from './stack';
import { registerSetupCommand } from './setup';
import { registerBackfillCommand } from './backfill';
import { registerPollCommand } from './poll';
import { registerWorkerCommand } from './worker';
import { registerFailedCommand } from './failed';
import { registerDlqCommand } from './dlq';
import { registerConflictsCommand } from './conflicts';
import { registerSearchCommand } from './search';
import { registerGetCommand } from './get';
import { registerServeCommand } from './serve';
import { registerKeysCommand } from './keys';
import { registerDashboardsCommand } from './dashboards';
import { registerDemoCommand } from './demo';
import { registerRulesCommand } from './rules';
import { registerInsightsCommand } from './insights';
import { registerValidateCommand } from './validate';
import { registerExportCommand } from './export';
import { registerFilesCommand } from './files';
import { registerAlertsCommand } from './alerts';
import { addApplyCommand } from '../detect/apply-command';
import { addBacktestCommand } from '../detect/backtest-command';
import { registerFindingsCommand, registerRulesLiveCommands } from '../detect/findings-command';

export const COMMANDS: Array<(program: Command) => void> = [
  registerStackCommand,
  registerSetupCommand,
  registerBackfillCommand,
  registerPollCommand,
  registerWorkerCommand,
  registerFailedCommand,
  registerDlqCommand,
  registerConflictsCommand,
  registerSearchCommand,
  registerGetCommand,
  registerServeCommand,
  registerKeysCommand,
  registerDashboardsCommand,
  registerDemoCommand,
  registerRulesCommand,
  registerInsightsCommand,
  registerValidateCommand,
  registerExportCommand,
  registerFilesCommand,
  (program) => registerRulesLiveCommands(program, [addBacktestCommand, addApplyCommand]),
  registerFindingsCommand,
  registerAlertsCommand,
];
