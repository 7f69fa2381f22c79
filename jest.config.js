/** Unit tests live beside the code; integration and end-to-end suites live in test/ and need the local stack. */
const path = require('path');
const fs = require('fs');

const packages = fs.readdirSync(path.join(__dirname, 'packages'));
const moduleNameMapper = Object.fromEntries(
  packages.map((p) => [`^@trailscope/${p}$`, `<rootDir>/packages/${p}/src/index.ts`]),
);
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] };
const common = { rootDir: __dirname, moduleNameMapper, transform, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  projects: [
    // a unit test is fast on an idle machine; the default 5 s fails the slowest ones when the cores are shared
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/packages/*/src/**/*.test.ts'], testTimeout: 30000 },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/jest-timeout.ts'],
      testTimeout: 300000,
    },
  ],
};
