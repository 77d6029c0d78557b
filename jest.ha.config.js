/** The failover test alone (npm run test:ha): a pg_auto_failover formation it starts and ends itself. */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/tests/ha/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 1_200_000,
  maxWorkers: 1,
};
