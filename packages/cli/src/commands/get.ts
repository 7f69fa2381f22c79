import type { Command } from 'commander';
import { createOpenSearchClient } from '@trailscope/runtime';
import { UNRESTRICTED, getEvent } from '@trailscope/query';
import { configFrom } from '../context';
import { createLineWriter } from '../search/stdout';

export function registerGetCommand(program: Command): void {
  program
    .command('get')
    .description('print one event by eventID')
    .argument('<eventId>', 'the eventID (or document id) of the event')
    .option('--raw', 'print the record exactly as delivered in the log file, then a newline')
    .action(async (eventId: string, flags: { raw?: boolean }, command: Command) => {
      const config = configFrom(command);
      const client = createOpenSearchClient(config);
      try {
        const event = await getEvent(client, config.names, eventId, UNRESTRICTED, { includeRaw: Boolean(flags.raw) });
        const out = createLineWriter();
        // the raw text is the evidence: written as stored, never re-serialized
        await out.line(flags.raw ? (event.raw ?? '') : JSON.stringify(event, null, 2));
      } finally {
        await client.close();
      }
    });
}
