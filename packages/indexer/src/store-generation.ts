import type { Config, OpenSearchClient } from '@trailscope/runtime';
import { toOpenSearchError } from '@trailscope/runtime';

/**
 * An id of this namespace's event store that changes whenever its indices are created afresh: the uuid of the
 * dead-letter index, which `installTemplates` creates with the template. A new cluster, a wiped data directory or a
 * deleted namespace all change it, which tells ingest state kept elsewhere (Redis) that it describes a store that is
 * gone.
 */
export async function storeGenerationOf(client: OpenSearchClient, config: Config): Promise<string> {
  const index = config.names.deadLetterIndex;
  try {
    const res = await client.indices.getSettings({ index, name: 'index.uuid' });
    const body = res.body as Record<string, { settings?: { index?: { uuid?: string } } }>;
    const uuid = body[index]?.settings?.index?.uuid;
    if (!uuid) throw new Error(`no index.uuid in the settings of ${index}`);
    return uuid;
  } catch (err) {
    throw toOpenSearchError(err, `reading the generation of ${index}`);
  }
}
