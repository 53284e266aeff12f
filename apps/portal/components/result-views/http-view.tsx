import { formatBytes, formatMs, formatTime } from "../../lib/format";
import { errorOf, num, records, text, type UntypedResult } from "./fields";
import { busiestProbes } from "./ping-view";
import type { StoreView } from "./result-store";
import { SeriesChart } from "./series-chart";
import styles from "./views.module.css";
import { ScrollTable } from "./scroll-table";

interface HttpRequest {
  status: number | null;
  method: string | null;
  address: string | null;
  version: string | null;
  /** Total response time, time to connect, time to first byte; ms. */
  rt: number | null;
  ttc: number | null;
  ttfb: number | null;
  headerBytes: number | null;
  bodyBytes: number | null;
  error: string | null;
}

/** Firmware 0 and 1 wrote one text line: "<method> <addr> <seconds> <status> <hsize> <bsize>". */
function fromLine(line: string): HttpRequest {
  const [method, address, seconds, status, hsize, bsize] = line.trim().split(/\s+/);
  const rt = num(seconds);
  return {
    status: num(status),
    method: method ?? null,
    address: address ?? null,
    version: null,
    rt: rt === null ? null : rt * 1000,
    ttc: null,
    ttfb: null,
    headerBytes: num(hsize),
    bodyBytes: num(bsize),
    error: num(status) === null ? line : null,
  };
}

function requestsOf(result: UntypedResult): HttpRequest[] {
  if (typeof result.result === "string") return [fromLine(result.result)];
  if (result.result === undefined && typeof result.src_addr === "string") return [fromLine(result.src_addr)];
  return records(result.result).map((r) => ({
    status: num(r.res),
    method: text(r.method),
    address: text(r.dst_addr) ?? text(r.addr),
    version: text(r.ver),
    rt: num(r.rt),
    ttc: num(r.ttc),
    ttfb: num(r.ttfb),
    headerBytes: num(r.hsize),
    bodyBytes: num(r.bsize),
    error: errorOf(r),
  }));
}

function statusClass(status: number | null): string {
  if (status === null) return styles.bad ?? "";
  if (status >= 500 || status < 100) return styles.bad ?? "";
  return status >= 400 ? (styles.warn ?? "") : (styles.ok ?? "");
}

export function HttpView({ view }: { view: StoreView }) {
  const charted = busiestProbes(view.probes);
  return (
    <div data-testid="http-view">
      <section className={styles.section} aria-labelledby="http-time">
        <h3 id="http-time">Response time</h3>
        <SeriesChart unit="ms" caption="Response time per result (ms), per probe" series={charted.map((p) => ({ label: `Probe ${p.prbId}`, points: p.rtt }))} />
      </section>
      <section className={styles.section} aria-labelledby="http-probes">
        <h3 id="http-probes">Latest request per probe</h3>
        <ScrollTable label="HTTP requests per probe">
          <thead>
            <tr>
              <th scope="col">Probe</th>
              <th scope="col">Status</th>
              <th scope="col">Request</th>
              <th scope="col" className={styles.num}>Total</th>
              <th scope="col" className={styles.num}>Connect</th>
              <th scope="col" className={styles.num}>First byte</th>
              <th scope="col" className={styles.num}>Headers</th>
              <th scope="col" className={styles.num}>Body</th>
              <th scope="col">Time</th>
            </tr>
          </thead>
          <tbody>
            {view.probes.flatMap((p) =>
              requestsOf(p.last).map((r, i) => (
                <tr key={`${p.prbId}-${i}`} data-testid="http-request" data-status={r.status ?? ""}>
                  <th scope="row">{p.prbId}</th>
                  <td className={statusClass(r.status)}>{r.status ?? r.error ?? "no response"}</td>
                  <td className={styles.mono}>
                    {[r.method, text(p.last.uri), r.address ? `(${r.address})` : null, r.version ? `HTTP/${r.version}` : null].filter(Boolean).join(" ") || "—"}
                  </td>
                  <td className={styles.num}>{formatMs(r.rt)}</td>
                  <td className={styles.num}>{formatMs(r.ttc)}</td>
                  <td className={styles.num}>{formatMs(r.ttfb)}</td>
                  <td className={styles.num}>{formatBytes(r.headerBytes)}</td>
                  <td className={styles.num}>{formatBytes(r.bodyBytes)}</td>
                  <td className={styles.mono}>{formatTime(p.lastTimestamp)}</td>
                </tr>
              )),
            )}
          </tbody>
        </ScrollTable>
      </section>
    </div>
  );
}
