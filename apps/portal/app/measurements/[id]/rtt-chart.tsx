export interface ChartPoint {
  /** Unix seconds. */
  t: number;
  /** Milliseconds. */
  v: number;
}

const WIDTH = 720;
const HEIGHT = 180;
const PAD = { left: 52, right: 12, top: 12, bottom: 26 };

function clock(t: number): string {
  return new Date(t * 1000).toISOString().slice(11, 19);
}

/** Response time over time, one dot per result. */
export function RttChart({ points }: { points: ChartPoint[] }) {
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last) return <p className="chart-empty muted">No response times to chart yet.</p>;

  const span = Math.max(last.t - first.t, 1);
  const top = Math.max(...points.map((p) => p.v)) * 1.1 || 1;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + (points.length === 1 ? plotW / 2 : ((t - first.t) / span) * plotW);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const path = points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");

  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label="Response time in milliseconds over time">
        <line className="axis" x1={PAD.left} y1={PAD.top + plotH} x2={WIDTH - PAD.right} y2={PAD.top + plotH} />
        <line className="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={PAD.top + plotH} />
        <line className="grid" x1={PAD.left} y1={y(top / 2)} x2={WIDTH - PAD.right} y2={y(top / 2)} />
        <text className="label" x={PAD.left - 6} y={PAD.top + 4} textAnchor="end">
          {top.toFixed(top < 10 ? 1 : 0)} ms
        </text>
        <text className="label" x={PAD.left - 6} y={y(top / 2) + 4} textAnchor="end">
          {(top / 2).toFixed(top < 10 ? 1 : 0)}
        </text>
        <text className="label" x={PAD.left - 6} y={PAD.top + plotH + 4} textAnchor="end">
          0
        </text>
        <text className="label" x={PAD.left} y={HEIGHT - 6}>
          {clock(first.t)} UTC
        </text>
        <text className="label" x={WIDTH - PAD.right} y={HEIGHT - 6} textAnchor="end">
          {clock(last.t)} UTC
        </text>
        <polyline className="line" points={path} />
        {points.map((p, i) => (
          <circle key={i} className="point" cx={x(p.t)} cy={y(p.v)} r={2.5}>
            <title>{`${clock(p.t)} UTC: ${p.v.toFixed(2)} ms`}</title>
          </circle>
        ))}
      </svg>
      <figcaption className="muted">Response time (ms) of the results shown</figcaption>
    </figure>
  );
}
