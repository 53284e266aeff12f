import { formatCount, formatMs, formatPercent, formatTime } from "../../lib/format";
import { lossShare, meanRtt, type ProbeAggregate, type StoreView } from "./result-store";
import { SeriesChart } from "./series-chart";
import styles from "./views.module.css";
import { ScrollTable } from "./scroll-table";

/** Lines drawn at most: beyond this a chart is no longer readable; the table lists every probe. */
export const CHART_PROBES = 10;

/** The probes with the most results, for charts that cannot show them all. */
export function busiestProbes(probes: ProbeAggregate[], limit = CHART_PROBES): ProbeAggregate[] {
  return [...probes].sort((a, b) => b.count - a.count || a.prbId - b.prbId).slice(0, limit);
}

function overall(probes: ProbeAggregate[]) {
  const mins = probes.map((p) => p.rttMin).filter((v): v is number => v !== null);
  const maxes = probes.map((p) => p.rttMax).filter((v): v is number => v !== null);
  const count = probes.reduce((n, p) => n + p.rttCount, 0);
  const sum = probes.reduce((n, p) => n + p.rttSum, 0);
  return {
    min: mins.length ? Math.min(...mins) : null,
    avg: count ? sum / count : null,
    max: maxes.length ? Math.max(...maxes) : null,
    loss: lossShare({ sent: probes.reduce((n, p) => n + p.sent, 0), rcvd: probes.reduce((n, p) => n + p.rcvd, 0) }),
  };
}

export function PingView({ view }: { view: StoreView }) {
  const all = overall(view.probes);
  const charted = busiestProbes(view.probes);
  return (
    <div data-testid="ping-view">
      <section className={styles.section} aria-labelledby="ping-overall">
        <h3 id="ping-overall">Round-trip time, all probes</h3>
        <dl className={styles.stats}>
          <div>
            <dt>Min</dt>
            <dd data-testid="ping-min">{formatMs(all.min)}</dd>
          </div>
          <div>
            <dt>Avg</dt>
            <dd data-testid="ping-avg">{formatMs(all.avg)}</dd>
          </div>
          <div>
            <dt>Max</dt>
            <dd data-testid="ping-max">{formatMs(all.max)}</dd>
          </div>
          <div>
            <dt>Loss</dt>
            <dd data-testid="ping-loss">{formatPercent(all.loss)}</dd>
          </div>
        </dl>
        <SeriesChart
          unit="ms"
          caption={`Average RTT per result, ${charted.length < view.probes.length ? `the ${charted.length} busiest of ${view.probes.length} probes` : "per probe"}`}
          series={charted.map((p) => ({ label: `Probe ${p.prbId}`, points: p.rtt }))}
        />
      </section>
      <section className={styles.section} aria-labelledby="ping-probes">
        <h3 id="ping-probes">Per probe</h3>
        <ScrollTable label="Ping results per probe" data-testid="ping-probes">
          <thead>
            <tr>
              <th scope="col">Probe</th>
              <th scope="col" className={styles.num}>Results</th>
              <th scope="col" className={styles.num}>Min</th>
              <th scope="col" className={styles.num}>Avg</th>
              <th scope="col" className={styles.num}>Max</th>
              <th scope="col" className={styles.num}>Loss</th>
              <th scope="col">Last result</th>
            </tr>
          </thead>
          <tbody>
            {view.probes.map((p) => {
              const loss = lossShare(p);
              return (
                <tr key={p.prbId} data-testid="ping-probe" data-prb-id={p.prbId}>
                  <th scope="row">
                    <a href={`/probes/${p.prbId}`}>{p.prbId}</a>
                  </th>
                  <td className={styles.num}>{formatCount(p.count)}</td>
                  <td className={styles.num}>{formatMs(p.rttMin)}</td>
                  <td className={styles.num}>{formatMs(meanRtt(p))}</td>
                  <td className={styles.num}>{formatMs(p.rttMax)}</td>
                  <td className={`${styles.num} ${loss !== null && loss > 0 ? styles.warn : ""}`}>{formatPercent(loss)}</td>
                  <td className={styles.mono}>{formatTime(p.lastTimestamp)}</td>
                </tr>
              );
            })}
          </tbody>
        </ScrollTable>
      </section>
    </div>
  );
}
