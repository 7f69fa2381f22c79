import { checkTemplates, installTemplates } from '@trailscope/indexer';
import { errorCodeOf, isRetryable } from '@trailscope/model';
import type { Config, Logger, OpenSearchClient } from '@trailscope/runtime';

/**
 * Checks the index templates before the first job, waiting while OpenSearch is unreachable. A missing template is a
 * configuration error (run `trailscope setup`), unless the caller asks to install it (backfill's convenience).
 */
export async function ensureTemplates(
  client: OpenSearchClient,
  config: Config,
  logger: Logger,
  options: { install?: boolean; signal?: AbortSignal; retryMs?: number } = {},
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await checkTemplates(client, config);
      return;
    } catch (err) {
      if (errorCodeOf(err) === 'TEMPLATE_MISSING' && options.install) {
        await installTemplates(client, config);
        logger.info({ namespace: config.namespace }, 'index templates installed');
        return;
      }
      if (!isRetryable(err) || options.signal?.aborted) throw err;
      if (attempt === 1 || attempt % 10 === 0) logger.warn({ attempt, err }, 'OpenSearch not reachable yet, waiting');
      await new Promise((r) => setTimeout(r, options.retryMs ?? 2000));
    }
  }
}
