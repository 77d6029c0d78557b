/** Jest runs the TypeScript sources directly through swc (decorator metadata kept, CommonJS). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  // The failover test needs pg_auto_failover and minutes: `npm run test:ha` (jest.ha.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/ha/'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  setupFiles: ['reflect-metadata'],
  testTimeout: 60000,
  maxWorkers: 2,
};
