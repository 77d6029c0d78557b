// Orders the reliability files for the goal-size soak (npm run test:soak:goal): the long,
// time-bounded concurrent workload first, so that it runs for the whole soak on a worker of its own,
// then the files with fixed counts (kills, hostile inputs, outages), longest first.
const Sequencer = require('@jest/test-sequencer').default;

const order = [
  'concurrent-workload',
  'process-kill',
  'hostile-input',
  'database-outage',
  'webhook-kill',
  'graceful-shutdown',
];
const rank = (path) => {
  const index = order.findIndex((name) => path.includes(`${name}.test.ts`));
  return index === -1 ? order.length : index;
};

class SoakSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path));
  }
}

module.exports = SoakSequencer;
