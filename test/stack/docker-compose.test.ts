/**
 * docker-compose.yml runs the service versions the tests run against (the testcontainers path of the harness), and
 * every trailscope service in it runs a command the CLI has. No Docker engine needed: the file is read as YAML.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { MINIO_IMAGE, OPENSEARCH_IMAGE, REDIS_IMAGE } from '../support/services';
import { REPO_ROOT, runCli } from '../support/env';

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
}

const compose = parse(fs.readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const services = compose.services;
const CLI = 'packages/cli/bin/trailscope.js';

describe('docker-compose.yml', () => {
  it('runs OpenSearch, Redis and MinIO at the versions the tests use, and Dashboards at OpenSearch\'s version', () => {
    expect(services.opensearch?.image).toBe(OPENSEARCH_IMAGE);
    expect(services.redis?.image).toBe(REDIS_IMAGE);
    expect(services.minio?.image).toBe(MINIO_IMAGE);
    expect(services.dashboards?.image).toBe(OPENSEARCH_IMAGE.replace('/opensearch:', '/opensearch-dashboards:'));
  });

  it('builds every trailscope service from this repository\'s Dockerfile, on a current LTS Node image', () => {
    const built = Object.entries(services).filter(([, s]) => s.build !== undefined);
    expect(built.map(([name]) => name).sort()).toEqual(['api', 'cli', 'createbuckets', 'poller', 'setup', 'worker']);
    for (const [, s] of built) expect(s.image).toBe('trailscope:local');
    const froms = [...fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8').matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms).toEqual(['node:24-bookworm-slim', 'node:24-bookworm-slim']);
  });

  it('gives each trailscope service a command the CLI accepts', async () => {
    const commands = Object.entries(services)
      .filter(([, s]) => s.build !== undefined && s.command?.[1] === CLI)
      .map(([name, s]) => [name, (s.command as string[])[2] as string] as const);
    expect(Object.fromEntries(commands)).toEqual({ setup: 'setup', poller: 'poll', worker: 'worker', api: 'serve' });
    expect(services.cli?.entrypoint).toEqual(['node', CLI]);
    for (const [name, command] of commands) {
      const res = await runCli([command, '--help']);
      expect({ name, code: res.code, stderr: res.stderr }).toEqual({ name, code: 0, stderr: '' });
    }
  });
});
