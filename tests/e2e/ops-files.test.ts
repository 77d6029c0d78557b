// Proves that every metric the Prometheus alert rules and the Grafana dashboard in docs/ops name is one a real gateway exports on /metrics after traffic.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { scrape } from '../support/metrics-text';
import { collect, useWsClients, waitForStreams } from '../support/subscriptions';
import { useTestGateway } from '../support/use-test-gateway';
import { inputMutation } from '../support/documents';

const opsDir = path.resolve(__dirname, '..', '..', 'docs', 'ops');

/** Series Prometheus makes itself for every scrape target, not exported by the gateway. */
const prometheusOwnSeries = new Set(['up']);

const promqlKeywords = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression reads: identifiers left once strings, label matchers,
 * ranges and grouping label lists are taken out, that are neither a function call nor a keyword.
 */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.$])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (call || promqlKeywords.has(name!.toLowerCase())) continue;
    names.add(name!);
  }
  return [...names];
}

function alertExpressions(): string[] {
  const rules = parseYaml(readFileSync(path.join(opsDir, 'alerts.yml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  return rules.groups.flatMap((group) => group.rules.map((rule) => String(rule.expr)));
}

function dashboardExpressions(): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'expr' && typeof value === 'string') found.push(value);
        else walk(value);
      }
    }
  };
  walk(JSON.parse(readFileSync(path.join(opsDir, 'grafana-dashboard.json'), 'utf8')));
  return found;
}

/** Every series name a scrape exports; a histogram counts with its _bucket, _sum and _count series. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\w+)/.exec(line);
    if (type) {
      names.add(type[1]!);
      if (type[2] === 'histogram')
        for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${type[1]}${suffix}`);
    } else if (line && !line.startsWith('#')) {
      names.add(/^[a-zA-Z_:][\w:]*/.exec(line)![0]);
    }
  }
  return names;
}

describe('reading metric names out of PromQL', () => {
  it('finds the metrics and skips functions, keywords, labels, ranges and strings', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, operation) (rate(wallet_x_bucket{outcome!="OK"}[5m]))) > 0.5',
      ).sort(),
    ).toEqual(['wallet_x_bucket']);
    expect(
      metricNamesIn(
        'sum(rate(a_total{o="b c"}[$__rate_interval])) / sum(rate(b_total[5m])) > 512 * 1024 and on (instance) c',
      ).sort(),
    ).toEqual(['a_total', 'b_total', 'c']);
    expect(metricNamesIn('max_over_time(nodejs_eventloop_lag_p99_seconds[5m]) > 1e6')).toEqual([
      'nodejs_eventloop_lag_p99_seconds',
    ]);
  });
});

describe('docs/ops files against a real /metrics', () => {
  const t = useTestGateway('ops_files', { invariantsAfterEach: false });
  const openWsClient = useWsClients(() => t);

  it('names only metrics the gateway exports, and names the ones that matter', async () => {
    // Traffic, so that labelled series exist: a success, a refusal, and a live delivery.
    const topup = inputMutation('topup', `wallet { balance }`);
    const spend = inputMutation('spend', `wallet { balance }`);
    const c = openWsClient(t.wsUrl, t.tokens.server);
    const sub = collect(c.client, { userId: 'ops-1', asset: 'GOLD_COINS' });
    await waitForStreams(t.gateway.services.subscriptions, 1);
    expect(
      (
        await t.gql(topup, {
          input: { userId: 'ops-1', asset: 'GOLD_COINS', amount: '10', idempotencyKey: 'ops-k1' },
        })
      ).errors,
    ).toBeUndefined();
    const refused = await t.gql(spend, {
      input: { userId: 'ops-1', asset: 'GOLD_COINS', amount: '1000', idempotencyKey: 'ops-k2' },
    });
    expect(refused.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_FUNDS');
    await sub.waitForCount(1, 30_000);

    const { status, text } = await scrape(t.url);
    expect(status).toBe(200);
    const exported = exportedNames(text);

    const named = new Map<string, string>();
    for (const [file, expressions] of [
      ['alerts.yml', alertExpressions()],
      ['grafana-dashboard.json', dashboardExpressions()],
    ] as const) {
      expect(expressions.length).toBeGreaterThan(5);
      for (const expr of expressions) for (const name of metricNamesIn(expr)) named.set(name, file);
    }
    const unknown = [...named]
      .filter(([name]) => !exported.has(name) && !prometheusOwnSeries.has(name))
      .map(([name, file]) => `${file}: ${name}`);
    expect(unknown).toEqual([]);

    // The files cover what an operator must see; a rename in the code fails above, a dropped panel here.
    for (const name of [
      'wallet_graphql_operations_total',
      'wallet_graphql_operation_duration_seconds_bucket',
      'wallet_db_pool_waiting',
      'wallet_notification_lag_seconds_bucket',
      'wallet_money_moved_total',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect([...named.keys()]).toContain(name);
    }
  });
});
