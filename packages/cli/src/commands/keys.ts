import type { Command } from 'commander';
import { createOpenSearchClient } from '@trailscope/runtime';
import { createKeyStore, requireServerKey, type ApiKeyInfo } from '@trailscope/api';
import { configFrom } from '../context';
import { parseList } from '../flags/value-parsers';
import { createLineWriter } from '../search/stdout';

function describe(k: ApiKeyInfo): string {
  const scope = [k.accounts ? `accounts=${k.accounts.join(',')}` : 'all accounts', k.regions ? `regions=${k.regions.join(',')}` : 'all regions'];
  return `${k.id}  ${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}  ${scope.join(' ')}  created ${k.createdAt}${k.name ? `  ${k.name}` : ''}`;
}

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('API keys for the HTTP API and LookupEvents (id + secret, optionally limited to accounts/regions)');

  keys
    .command('create')
    .description('create a key; the secret is printed once and cannot be shown again (needs TRAILSCOPE_SERVER_KEY)')
    .option('--accounts <ids>', 'limit to these account ids (comma-separated or repeated)', parseList)
    .option('--account <id>', 'same as --accounts', parseList)
    .option('--regions <regions>', 'limit to these regions (comma-separated or repeated)', parseList)
    .option('--region <region>', 'same as --regions', parseList)
    .option('--name <name>', 'a label to recognize the key by')
    .option('--json', 'print {"id","secret",...} as one JSON line')
    .action(async (flags: { accounts?: string[]; account?: string[]; regions?: string[]; region?: string[]; name?: string; json?: boolean }, command: Command) => {
      const config = configFrom(command);
      requireServerKey(config.api.serverKey);
      const client = createOpenSearchClient(config);
      try {
        const accounts = [...(flags.accounts ?? []), ...(flags.account ?? [])];
        const regions = [...(flags.regions ?? []), ...(flags.region ?? [])];
        const key = await createKeyStore(client, config.names, config.api.serverKey).create({
          name: flags.name,
          accounts: accounts.length > 0 ? accounts : undefined,
          regions: regions.length > 0 ? regions : undefined,
        });
        const out = createLineWriter();
        if (flags.json) {
          await out.line(JSON.stringify(key));
        } else {
          await out.line(`id:     ${key.id}`);
          await out.line(`secret: ${key.secret}`);
          await out.line(`bearer: Authorization: Bearer ${key.id}.${key.secret}`);
          await out.line(`scope:  ${key.accounts ? key.accounts.join(',') : 'all accounts'}; ${key.regions ? key.regions.join(',') : 'all regions'}`);
          process.stderr.write('The secret is shown only now. For AWS tools use the id as access key id and the secret as secret access key.\n');
        }
      } finally {
        await client.close();
      }
    });

  keys
    .command('list')
    .description('list keys (never their secrets)')
    .option('--json', 'one key per line as JSON')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const config = configFrom(command);
      const client = createOpenSearchClient(config);
      try {
        const out = createLineWriter();
        for (const k of await createKeyStore(client, config.names, config.api.serverKey).list()) {
          await out.line(flags.json ? JSON.stringify(k) : describe(k));
        }
      } finally {
        await client.close();
      }
    });

  keys
    .command('revoke')
    .description('revoke a key at once (it stays listed as revoked)')
    .argument('<id>', 'key id')
    .option('--json', 'print the revoked key as JSON')
    .action(async (id: string, flags: { json?: boolean }, command: Command) => {
      const config = configFrom(command);
      const client = createOpenSearchClient(config);
      try {
        const k = await createKeyStore(client, config.names, config.api.serverKey).revoke(id);
        await createLineWriter().line(flags.json ? JSON.stringify(k) : describe(k));
      } finally {
        await client.close();
      }
    });
}
