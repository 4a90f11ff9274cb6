import { useMemo } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

const BINS = 20;

export interface HistogramBin {
  readonly from: number;
  readonly to: number;
  readonly mid: number;
  readonly count: number;
}

/** `scores` in 20 equal bins between their lowest and highest (the threshold included in the range). */
export function binScores(scores: readonly number[], threshold: number): HistogramBin[] {
  if (scores.length === 0) return [];
  let lo = Math.min(threshold, ...scores);
  let hi = Math.max(threshold, ...scores);
  if (hi - lo < 1e-9) {
    lo -= 0.05;
    hi += 0.05;
  }
  const width = (hi - lo) / BINS;
  const counts = new Array<number>(BINS).fill(0);
  for (const s of scores) {
    const i = Math.min(BINS - 1, Math.floor((s - lo) / width));
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts.map((count, i) => ({ from: lo + i * width, to: lo + (i + 1) * width, mid: lo + (i + 0.5) * width, count }));
}

/**
 * The distribution of anomaly scores of an upload, with the threshold above which rows are flagged.
 * Loaded lazily by the logins page: recharts is most of the bundle's weight.
 */
export function ScoreHistogram({ scores, threshold }: { readonly scores: readonly number[]; readonly threshold: number }) {
  const bins = useMemo(() => binScores(scores, threshold), [scores, threshold]);
  const above = scores.filter((s) => s > threshold).length;
  const first = bins[0];
  const last = bins[bins.length - 1];
  const width = first ? first.to - first.from : 0;
  return (
    <div
      className="chart"
      role="img"
      aria-label={`Histogram of ${scores.length} anomaly scores in ${BINS} bins from ${first?.from.toFixed(3) ?? 0} to ${
        last?.to.toFixed(3) ?? 0
      }; threshold ${threshold.toFixed(4)}, ${above} scores above it.`}
    >
      <ResponsiveContainer width="100%" height={240}>
        <BarChart data={bins} margin={{ top: 20, right: 16, bottom: 0, left: -16 }} barCategoryGap={1}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#d9e0e8" />
          <XAxis
            dataKey="mid"
            type="number"
            domain={[first?.from ?? 0, last?.to ?? 1]}
            tickFormatter={(v: number) => v.toFixed(2)}
            tick={{ fontSize: 12, fill: '#44546a' }}
            allowDataOverflow
          />
          <YAxis allowDecimals={false} tick={{ fontSize: 12, fill: '#44546a' }} />
          <Tooltip
            formatter={(value) => [String(value), 'Rows']}
            labelFormatter={(mid) => `Score ${(Number(mid) - width / 2).toFixed(3)}–${(Number(mid) + width / 2).toFixed(3)}`}
          />
          <Bar dataKey="count" name="Rows" isAnimationActive={false}>
            {bins.map((b) => (
              <Cell key={b.mid} fill={b.mid > threshold ? '#D55E00' : '#0072B2'} />
            ))}
          </Bar>
          <ReferenceLine
            x={threshold}
            stroke="#17202e"
            strokeDasharray="4 3"
            strokeWidth={2}
            label={{ value: `Threshold ${threshold.toFixed(3)}`, position: 'top', fontSize: 12, fill: '#17202e' }}
          />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
