import { Command } from 'commander';
import { SEARCH_FILTER_KEYS, parseSearchRequest } from '@trailscope/query';
import { buildProgram } from '../main';
import { SEARCH_FILTER_FLAGS, addSearchFilterOptions, searchFiltersFrom, withFlagNames } from './filter-flags';

/** Parses `args` with a command that carries the filter flags and returns what it read back. */
function filtersOf(args: string[]) {
  const cmd = addSearchFilterOptions(new Command('x').exitOverride());
  cmd.parse(args, { from: 'user' });
  return searchFiltersFrom(cmd.opts());
}

/** Runs a real CLI command's option parsing with its action replaced, so no service is needed. */
async function optionsOf(name: string, args: string[]): Promise<Record<string, unknown>> {
  const program = buildProgram();
  const command = program.commands.find((c) => c.name() === name);
  if (!command) throw new Error(`no command ${name}`);
  let seen: Record<string, unknown> = {};
  command.action((opts: Record<string, unknown>) => {
    seen = opts;
  });
  await program.parseAsync([name, ...args], { from: 'user' });
  return seen;
}

describe('search filter flags', () => {
  it('give every filter of the query package a flag, except those the command line reaches through another', () => {
    const viaAnother = ['excludeEventCategories', 'resourceArns']; // API-only; --resource sets resourceNames, which matches ARNs too
    const fields = SEARCH_FILTER_FLAGS.map((r) => r.field as string);
    expect(new Set(fields).size).toBe(fields.length);
    expect([...fields, ...viaAnother].sort()).toEqual([...SEARCH_FILTER_KEYS].sort());
  });

  it('read back exactly the flags given, lists OR-ed from repeated and comma-separated values', () => {
    expect(filtersOf([])).toEqual({});
    expect(
      filtersOf([
        '--account', '111111111111,222222222222', '--account', '333333333333',
        '--region', 'eu-west-1', '--errors-only', '--read-only', 'false', '--from', '24h',
        '--resource', 'arn:aws:s3:::logs-1,logs-2', '--field', 'requestParameters.policy=a,b', '--field', 'requestParameters.policy=c',
        '--user', '"svc,deploy"', '--text', 'a, b',
      ]),
    ).toEqual({
      accounts: ['111111111111', '222222222222', '333333333333'],
      regions: ['eu-west-1'],
      errorsOnly: true,
      readOnly: false,
      from: '24h',
      resourceNames: ['arn:aws:s3:::logs-1', 'logs-2'],
      fields: { 'requestParameters.policy': ['a,b', 'c'] },
      users: ['svc,deploy'],
      text: 'a, b',
    });
  });

  it('produce filters the query package accepts', () => {
    const filters = filtersOf(['--account', '111111111111', '--event-category', 'Data', '--source-ip', '10.0.0.0/8', '--user-agent', 'aws-cli']);
    expect(parseSearchRequest(filters)).toEqual(expect.objectContaining(filters));
  });

  it('search takes --account A,B as backfill and poll do', async () => {
    const search = await optionsOf('search', ['--account', '111111111111,222222222222']);
    expect(searchFiltersFrom(search).accounts).toEqual(['111111111111', '222222222222']);
    for (const name of ['backfill', 'poll']) {
      expect((await optionsOf(name, ['--bucket', 'b-1', '--account', '111111111111,222222222222'])).account).toEqual(['111111111111', '222222222222']);
    }
  });

  it('name the flag of a field that failed validation, read from the error context', () => {
    const failure = (input: Record<string, unknown>): string => {
      try {
        parseSearchRequest(input);
      } catch (err) {
        const restated = withFlagNames(err, { pageSize: '--limit' }) as { code: string; message: string; context: Record<string, unknown> };
        expect(restated.code).toBe('VALIDATION_FAILED');
        return restated.message;
      }
      throw new Error('expected a validation failure');
    };
    expect(failure({ accounts: ['111111111111', '123'] })).toBe('--account: must be a 12-digit AWS account id');
    expect(failure({ resourceNames: [''] })).toMatch(/^--resource: must not be empty/);
    expect(failure({ fields: { 'foo.bar': ['1'] } })).toMatch(/^--field foo\.bar: /);
    expect(failure({ pageSize: 5000 })).toMatch(/^--limit: /);
    expect(failure({ from: 'yesterday' })).toMatch(/^--from: must be ISO-8601/);
  });

  it('leave errors that are not about a known filter field as they are', () => {
    const other = new Error('boom');
    expect(withFlagNames(other)).toBe(other);
    const unknownField = Object.assign(new Error('aggs: not aggregatable'), { code: 'VALIDATION_FAILED', context: { field: 'aggs' } });
    expect(withFlagNames(unknownField)).toBe(unknownField);
  });
});
