import { formatMs, formatOffset, formatTime } from "../../lib/format";
import { errorOf, mean, num, records, text } from "./fields";
import { busiestProbes } from "./ping-view";
import type { StoreView } from "./result-store";
import { SeriesChart } from "./series-chart";
import styles from "./views.module.css";
import { ScrollTable } from "./scroll-table";

export function NtpView({ view }: { view: StoreView }) {
  const charted = busiestProbes(view.probes);
  return (
    <div data-testid="ntp-view">
      <section className={styles.section} aria-labelledby="ntp-time">
        <h3 id="ntp-time">Offset and delay over time</h3>
        <SeriesChart
          unit="s"
          caption="Clock offset per result (seconds), per probe"
          series={charted.map((p) => ({ label: `Probe ${p.prbId}`, points: p.offset }))}
        />
        <SeriesChart
          unit="ms"
          caption="Round-trip delay per result (ms), per probe"
          series={charted.map((p) => ({ label: `Probe ${p.prbId}`, points: p.rtt }))}
        />
      </section>
      <section className={styles.section} aria-labelledby="ntp-probes">
        <h3 id="ntp-probes">Latest per probe</h3>
        <ScrollTable label="NTP results per probe">
          <thead>
            <tr>
              <th scope="col">Probe</th>
              <th scope="col">Server</th>
              <th scope="col" className={styles.num}>Stratum</th>
              <th scope="col" className={styles.num}>Offset</th>
              <th scope="col" className={styles.num}>Delay</th>
              <th scope="col" className={styles.num}>Replies</th>
              <th scope="col">Time</th>
            </tr>
          </thead>
          <tbody>
            {view.probes.map((p) => {
              const packets = records(p.last.result);
              const answered = packets.filter((pk) => num(pk.offset) !== null);
              const offset = mean(answered.map((pk) => num(pk.offset) ?? 0));
              const rtt = mean(answered.map((pk) => num(pk.rtt) ?? 0));
              const failure = answered.length === 0 ? (errorOf(p.last) ?? "no reply") : null;
              return (
                <tr key={p.prbId} data-testid="ntp-probe" data-prb-id={p.prbId}>
                  <th scope="row">{p.prbId}</th>
                  <td className={styles.mono}>{text(p.last.dst_name) ?? text(p.last.dst_addr) ?? "—"}</td>
                  <td className={styles.num}>{text(p.last.stratum) ?? "—"}</td>
                  <td className={styles.num}>{failure ? <span className={styles.bad}>{failure}</span> : formatOffset(offset)}</td>
                  <td className={styles.num}>{formatMs(rtt === null ? null : rtt * 1000)}</td>
                  <td className={`${styles.num} ${answered.length < packets.length ? styles.warn : ""}`}>
                    {answered.length}/{packets.length}
                  </td>
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
