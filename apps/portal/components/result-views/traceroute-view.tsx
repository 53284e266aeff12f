import { formatMs, formatPercent, formatTime } from "../../lib/format";
import { text } from "./fields";
import { busiestProbes } from "./ping-view";
import type { StoreView } from "./result-store";
import { hopsOf, mergePaths, type PathGraph, type PathNode } from "./traceroute-data";
import styles from "./views.module.css";
import { ScrollTable } from "./scroll-table";

/** Paths drawn at most, and hop tables listed. */
const PATH_PROBES = 8;
const TABLE_PROBES = 20;
const COL_W = 150;
const ROW_H = 44;
const PAD = 20;

function nodeColor(node: PathNode): string {
  if (node.kind === "probe") return "var(--accent)";
  if (node.kind === "destination") return "var(--ok)";
  if (node.kind === "silent") return "var(--muted)";
  return node.probes > 1 ? "var(--warn)" : "var(--text)";
}

function PathView({ graph }: { graph: PathGraph }) {
  const width = graph.columns * COL_W + PAD;
  const height = graph.rows * ROW_H + PAD;
  const at = (n: PathNode) => ({ x: PAD + n.column * COL_W, y: PAD + n.row * ROW_H });
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  return (
    <div className={styles.scroll} tabIndex={0} role="region" aria-label="Path view, scrolls sideways">
      <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label="Probes' paths to the destination, merged where they share hops" data-testid="path-graph">
        {graph.edges.map((edge) => {
          const from = byId.get(edge.from);
          const to = byId.get(edge.to);
          if (!from || !to) return null;
          const a = at(from);
          const b = at(to);
          const mid = (a.x + b.x) / 2;
          return (
            <path
              key={`${edge.from}>${edge.to}`}
              d={`M${a.x},${a.y} C${mid},${a.y} ${mid},${b.y} ${b.x},${b.y}`}
              style={{ fill: "none", stroke: "var(--muted)", strokeWidth: 1.2 }}
              strokeDasharray={edge.unreached ? "4 4" : undefined}
            />
          );
        })}
        {graph.nodes.map((n) => {
          const { x, y } = at(n);
          return (
            <g key={n.id} data-testid="path-node" data-kind={n.kind} data-probes={n.probes}>
              <circle cx={x} cy={y} r={n.probes > 1 ? 7 : 5} style={{ fill: nodeColor(n) }} />
              <text x={x} y={y - 10} textAnchor={n.column === 0 ? "start" : "middle"} fontSize={11} fill="currentColor">
                {n.label.length > 22 ? `${n.label.slice(0, 21)}…` : n.label}
              </text>
              <title>{`${n.label}${n.probes > 1 ? ` (${n.probes} probes)` : ""}`}</title>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

function HopTable({ prbId, result }: { prbId: number; result: Record<string, unknown> }) {
  const hops = hopsOf(result);
  return (
    <ScrollTable label={`Hops of probe ${prbId}`} data-testid="hop-table" data-prb-id={prbId}>
      <thead>
        <tr>
          <th scope="col" className={styles.num}>Hop</th>
          <th scope="col">Addresses</th>
          <th scope="col" className={styles.num}>RTTs</th>
          <th scope="col" className={styles.num}>Loss</th>
        </tr>
      </thead>
      <tbody>
        {hops.map((hop) => (
          <tr key={hop.hop} data-testid="hop-row">
            <th scope="row" className={styles.num}>{hop.hop}</th>
            <td className={styles.mono}>{hop.addresses.length ? hop.addresses.join(", ") : hop.error ?? "*"}</td>
            <td className={styles.num}>{hop.rtts.length ? hop.rtts.map((r) => formatMs(r)).join(" · ") : "—"}</td>
            <td className={`${styles.num} ${hop.rtts.length < hop.sent ? styles.warn : ""}`}>
              {formatPercent(hop.sent ? (hop.sent - hop.rtts.length) / hop.sent : null)}
            </td>
          </tr>
        ))}
      </tbody>
    </ScrollTable>
  );
}

export function TracerouteView({ view }: { view: StoreView }) {
  const drawn = busiestProbes(view.probes, PATH_PROBES).map((p) => ({ prbId: p.prbId, result: p.last }));
  const listed = busiestProbes(view.probes, TABLE_PROBES);
  return (
    <div data-testid="traceroute-view">
      <section className={styles.section} aria-labelledby="trace-paths">
        <h3 id="trace-paths">Paths</h3>
        <p className={styles.note}>
          Each probe&apos;s latest path; hops answered by the same address merge (larger dots). A dashed line: the destination did not answer.
          {drawn.length < view.probes.length && ` The ${drawn.length} busiest of ${view.probes.length} probes.`}
        </p>
        <PathView graph={mergePaths(drawn)} />
      </section>
      <section className={styles.section} aria-labelledby="trace-hops">
        <h3 id="trace-hops">Hops per probe</h3>
        {listed.map((p, i) => (
          <details key={p.prbId} className={styles.card} open={i === 0}>
            <summary>
              Probe {p.prbId} → {text(p.last.dst_addr) ?? "?"} <span className={styles.muted}>{formatTime(p.lastTimestamp)}</span>
            </summary>
            <HopTable prbId={p.prbId} result={p.last} />
          </details>
        ))}
      </section>
    </div>
  );
}
