/** Small statistics helpers for latency samples (milliseconds) and per-round figures. */

/** The nearest-rank percentile (0 < p <= 100) of unsorted samples; NaN when there are none. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples as ArrayLike<number>).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** The median of the finite values (the middle one, or the mean of the two middle ones). */
export function median(values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

/** A growable list of latencies in milliseconds, cheap to append to at tens of thousands per second. */
export class LatencyRecorder {
  private values = new Float64Array(1 << 14);
  private count = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = ms;
  }

  get size(): number {
    return this.count;
  }

  samples(): Float64Array {
    return this.values.subarray(0, this.count);
  }
}
