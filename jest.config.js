/** Jest runs the TypeScript sources directly through swc (decorator metadata kept, CommonJS). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  // The failover test needs pg_auto_failover and minutes: `npm run test:ha` (jest.ha.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/ha/'],
  transform: {
    '^.+\\.ts$': ['@swc/jest'],
    // The React example in docs/examples (tests/e2e/react-badge.test.ts renders it).
    // happy-dom (the DOM that test renders into) ships ES modules only: compiled to CommonJS.
    '/node_modules/happy-dom/.+\\.js$': [
      '@swc/jest',
      { swcrc: false, jsc: { target: 'es2022' }, module: { type: 'commonjs' } },
    ],
    '^.+\\.tsx$': [
      '@swc/jest',
      {
        swcrc: false,
        jsc: {
          parser: { syntax: 'typescript', tsx: true },
          transform: { react: { runtime: 'automatic' } },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!happy-dom/)'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  setupFiles: ['reflect-metadata'],
  testTimeout: 60000,
  maxWorkers: 2,
};
