#!/usr/bin/env bash
# Side-by-side A/B of two builds in one run: `bench/ab.sh BASELINE_DIR [ROUNDS]` runs the bench of
# BASELINE_DIR (another checkout, built), of this checkout with group commit off, and of this
# checkout as it ships, in turn, ROUNDS times each, with the same knobs (BENCH_ONLY, BENCH_CLIENTS,
# BENCH_DURATION_S, ... from the environment), then prints the median tx/s, p50 and p99 of every
# workload for each and the ratios to the baseline. Interleaving keeps slow drifts of a shared
# machine (other load, thermal) from landing on one side only. AB_SIDES="baseline current" leaves
# out the side with group commit off.
set -euo pipefail
baseline=$(cd "$1" && pwd)
rounds=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
export BENCH_ROUNDS=1
for round in $(seq 1 "$rounds"); do
  for side in ${AB_SIDES:-baseline unbatched current}; do
    dir=$here; [ "$side" = baseline ] && dir=$baseline
    batching=true; [ "$side" = unbatched ] && batching=false
    mkdir -p "$out/$side-$round"
    echo "== round $round: $side ($dir, GROUP_COMMIT=$batching)"
    (cd "$dir" && GROUP_COMMIT=$batching BENCH_RESULTS_DIR="$out/$side-$round" node dist/bench/run.js --no-census > "$out/$side-$round.log" 2>&1) || {
      echo "bench failed for $side, round $round; log: $out/$side-$round.log"; exit 1; }
  done
done
node - "$out" "$rounds" <<'JS'
const fs = require('fs'); const path = require('path');
const [out, rounds] = [process.argv[2], Number(process.argv[3])];
const sides = ['baseline', 'unbatched', 'current'];
const rows = { baseline: {}, unbatched: {}, current: {} };
for (const side of sides) for (let r = 1; r <= rounds; r++) {
  const dir = path.join(out, `${side}-${r}`);
  if (!fs.existsSync(dir)) continue;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const report = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    for (const row of report.rows) {
      const key = `${row.workload} @${row.clients}`;
      (rows[side][key] ??= []).push(row);
    }
  }
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
console.log('| workload | baseline tx/s | engine, batching off | ratio | engine, batching on (ships) | ratio | p50 / p99 ms (baseline; off; on) |');
console.log('|---|---|---|---|---|---|---|');
const f = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-');
const tx = (rs) => (rs && rs.length ? median(rs.map((r) => r.txPerS)) : NaN);
const lat = (rs) => (rs && rs.length ? `${median(rs.map((r) => r.p50Ms)).toFixed(2)} / ${median(rs.map((r) => r.p99Ms)).toFixed(2)}` : '-');
const ratio = (x, base) => (Number.isFinite(x) && Number.isFinite(base) ? (x / base).toFixed(2) + 'x' : '-');
for (const key of Object.keys(rows.current).sort()) {
  const [b, u, c] = sides.map((side) => rows[side][key]);
  console.log(`| ${key} | ${f(tx(b))} | ${f(tx(u))} | ${ratio(tx(u), tx(b))} | ${f(tx(c))} | ${ratio(tx(c), tx(b))} | ${lat(b)}; ${lat(u)}; ${lat(c)} |`);
}
console.log(`\n(medians of ${rounds} interleaved rounds; raw results in ${out})`);
JS
