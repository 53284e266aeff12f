import { formatMs, formatTime } from "../../lib/format";
import { dnsResponses, type DnsResponse } from "./dns-data";
import { busiestProbes } from "./ping-view";
import type { StoreView } from "./result-store";
import styles from "./views.module.css";
import { ScrollTable } from "./scroll-table";

const LISTED_PROBES = 20;

function rcodeClass(rcode: string | null): string {
  if (rcode === null) return "";
  return (rcode === "NOERROR" ? styles.ok : styles.bad) ?? "";
}

function Response({ response }: { response: DnsResponse }) {
  return (
    <tr data-testid="dns-response" data-rcode={response.rcode ?? ""}>
      <td className={styles.mono}>{response.resolver ?? "—"}</td>
      <td className={rcodeClass(response.rcode)}>{response.rcode ?? "—"}</td>
      <td className={styles.num}>{formatMs(response.rt)}</td>
      <td>
        {response.error && <p className={styles.bad}>{response.error}</p>}
        {response.question && <p className={styles.note}>Question: <span className={styles.mono}>{response.question}</span></p>}
        {response.records.length > 0 && (
          <ul className={styles.mono} data-testid="dns-records">
            {response.records.map((r, i) => (
              <li key={i} data-section={r.section}>
                {r.section !== "answer" && <span className={styles.muted}>{r.section}: </span>}
                {r.name} {r.ttl ?? ""} {r.type} {r.data}
              </li>
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
}

export function DnsView({ view }: { view: StoreView }) {
  const listed = busiestProbes(view.probes, LISTED_PROBES);
  return (
    <section className={styles.section} data-testid="dns-view" aria-labelledby="dns-answers">
      <h3 id="dns-answers">Answers, each probe&apos;s latest result</h3>
      {listed.map((p) => (
        <div key={p.prbId} className={styles.card}>
          <p>
            <strong>Probe {p.prbId}</strong> <span className={styles.muted}>{formatTime(p.lastTimestamp)}</span>
          </p>
          <ScrollTable label={`DNS answers of probe ${p.prbId}`}>
            <thead>
              <tr>
                <th scope="col">Resolver</th>
                <th scope="col">Rcode</th>
                <th scope="col" className={styles.num}>Response time</th>
                <th scope="col">Records</th>
              </tr>
            </thead>
            <tbody>
              {dnsResponses(p.last).map((response, i) => (
                <Response key={i} response={response} />
              ))}
            </tbody>
          </ScrollTable>
        </div>
      ))}
    </section>
  );
}
