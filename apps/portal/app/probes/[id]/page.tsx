import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import type { Measurement, Probe, ProbeStatusEvent } from "@probestream/types";
import { summarizeResult, type UntypedResult } from "@probestream/types/summary";
import { WorldMap } from "../../../components/world-map";
import { api } from "../../../lib/api";
import { formatCount, formatTime } from "../../../lib/format";
import { gatewayUrlForRequest } from "../../../lib/gateway-url";
import { idOf, type ApiPage } from "../probe-api";
import { formatDuration, probeStatusColor, probeStatusName } from "../probe-status";
import { ProbeStatusPanel } from "./probe-status-panel";
import styles from "./probe.module.css";

export const dynamic = "force-dynamic";

/** Measurements a page lists; the latest results are the probe's newest in each of them. */
const MEASUREMENTS_SHOWN = 25;
const HISTORY_SHOWN = 50;

interface Props {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

/** A page number from the query string: 1 unless a positive integer is given. */
function pageNumber(value: string | string[] | undefined): number {
  const n = Number(Array.isArray(value) ? value[0] : value);
  return Number.isInteger(n) && n > 1 ? Math.min(n, 1_000_000) : 1;
}

/** Links to the neighbouring pages of one of the page's lists, keeping the other list's page. */
function Pager({ label, param, page, pages, others }: { label: string; param: string; page: number; pages: number; others: Record<string, number> }) {
  if (pages <= 1) return null;
  const href = (n: number) => {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries({ ...others, [param]: n })) if (value > 1) query.set(name, String(value));
    const text = query.toString();
    return text ? `?${text}` : "?";
  };
  return (
    <nav className={styles.pager} aria-label={label}>
      {page > 1 ? <Link href={href(page - 1)}>← Newer</Link> : <span />}
      <span className="muted">
        page {page} of {formatCount(pages)}
      </span>
      {page < pages ? <Link href={href(page + 1)}>Older →</Link> : <span />}
    </nav>
  );
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Probe ${(await params).id}` };
}

interface LatestResult {
  measurement: Measurement;
  result: UntypedResult;
}

/** The probe's newest result in each measurement, as the caller may read them (`/latest/` answers 403 otherwise). */
async function latestResults(prbId: number, measurements: Measurement[]): Promise<LatestResult[]> {
  const answers = await Promise.all(
    measurements.map(async (measurement) => {
      const answer = await api<UntypedResult[]>(`/api/v2/measurements/${measurement.id}/latest/?probe_ids=${prbId}`);
      const result = answer.status === 200 && Array.isArray(answer.body) ? answer.body[0] : undefined;
      return result ? [{ measurement, result }] : [];
    }),
  );
  const time = (r: UntypedResult) => (typeof r.timestamp === "number" ? r.timestamp : 0);
  return answers.flat().sort((a, b) => time(b.result) - time(a.result));
}

function degrees(value: number, positive: string, negative: string): string {
  return `${Math.abs(value).toFixed(4)}° ${value >= 0 ? positive : negative}`;
}

function Fact({ term, children }: { term: string; children: React.ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

const orDash = (value: string | number | null) => (value === null || value === "" ? "—" : value);

export default async function ProbePage({ params, searchParams }: Props) {
  const id = idOf((await params).id);
  if (id === null) notFound();
  const query = await searchParams;
  const historyPage = pageNumber(query.history_page);
  const measurementsPage = pageNumber(query.measurements_page);
  const [probeAnswer, historyAnswer, measurementsAnswer, gatewayUrl] = await Promise.all([
    api<Probe>(`/api/v2/probes/${id}/`),
    api<ApiPage<ProbeStatusEvent>>(`/api/v2/probes/${id}/status-history/?page_size=${HISTORY_SHOWN}&page=${historyPage}`),
    api<ApiPage<Measurement>>(`/api/v2/probes/${id}/measurements/?page_size=${MEASUREMENTS_SHOWN}&page=${measurementsPage}`),
    gatewayUrlForRequest(),
  ]);
  if (probeAnswer.status === 404) notFound();
  if (probeAnswer.status !== 200) throw new Error(`The probe API answered ${probeAnswer.status}`);
  const probe = probeAnswer.body;
  const history = historyAnswer.status === 200 ? historyAnswer.body : { count: 0, results: [] };
  const measurements = measurementsAnswer.status === 200 ? measurementsAnswer.body : { count: 0, results: [] };
  const latest = await latestResults(probe.id, measurements.results);
  const location = probe.geometry?.coordinates;

  return (
    <>
      <section className={styles.header} aria-labelledby="probe-heading">
        <div className={styles.headerText}>
          <h1 id="probe-heading">
            Probe {probe.id}
            {probe.is_anchor && <span className={styles.anchorBadge}>anchor</span>}
          </h1>
          {probe.description && <p className={styles.lead}>{probe.description}</p>}
          <dl className={styles.facts} data-testid="probe-facts">
            <Fact term="ASN (IPv4)">{probe.asn_v4 === null ? "—" : `AS${probe.asn_v4}`}</Fact>
            <Fact term="ASN (IPv6)">{probe.asn_v6 === null ? "—" : `AS${probe.asn_v6}`}</Fact>
            <Fact term="Prefix (IPv4)">
              <span className="mono">{orDash(probe.prefix_v4)}</span>
            </Fact>
            <Fact term="Prefix (IPv6)">
              <span className="mono">{orDash(probe.prefix_v6)}</span>
            </Fact>
            <Fact term="Country">{orDash(probe.country_code)}</Fact>
            <Fact term="Location">
              {location ? `${degrees(location[1], "N", "S")}, ${degrees(location[0], "E", "W")}` : "—"}
            </Fact>
            <Fact term="Anchor">{probe.is_anchor ? "yes" : "no"}</Fact>
            <Fact term="Public">{probe.is_public ? "yes" : "no"}</Fact>
            <Fact term="First connected">{formatTime(probe.first_connected)}</Fact>
            <Fact term="Last connected">{formatTime(probe.last_connected)}</Fact>
            <Fact term="Connected in all">{formatDuration(probe.total_uptime)}</Fact>
            <Fact term="Firmware">{orDash(probe.firmware_version)}</Fact>
          </dl>
          <h2 className={styles.subheading}>Tags</h2>
          {probe.tags.length === 0 ? (
            <p className="muted">No tags.</p>
          ) : (
            <ul className={styles.tags} data-testid="probe-tags">
              {probe.tags.map((t) => (
                <li key={t.slug}>
                  <Link href={`/probes?tags=${encodeURIComponent(t.slug)}`}>{t.name}</Link>
                </li>
              ))}
            </ul>
          )}
        </div>
        {location && (
          <div className={styles.map}>
            <WorldMap
              height={220}
              ariaLabel={`Probe ${probe.id}'s location on a world map`}
              points={[{ id: probe.id, lon: location[0], lat: location[1], color: probeStatusColor(probe.status.id), label: `Probe ${probe.id}: ${probeStatusName(probe.status.id)}` }]}
            />
          </div>
        )}
      </section>

      <ProbeStatusPanel
        prbId={probe.id}
        gatewayUrl={gatewayUrl}
        initialStatus={{ id: probe.status.id, since: probe.status.since }}
        history={history.results}
        historyCount={history.count}
        newestPage={historyPage === 1}
        pager={
          <Pager
            label="Status history pages"
            param="history_page"
            page={historyPage}
            pages={Math.ceil(history.count / HISTORY_SHOWN)}
            others={{ measurements_page: measurementsPage }}
          />
        }
      />

      <section className={styles.section} aria-labelledby="measurements-heading">
        <h2 id="measurements-heading">Measurements</h2>
        <p className="muted">
          {measurements.count === 0
            ? "This probe takes part in no measurement you can see."
            : `${formatCount(measurements.count)} ${measurements.count === 1 ? "measurement" : "measurements"} you can see, newest first.`}
        </p>
        {measurements.results.length > 0 && (
          <div className={styles.tableScroll} role="region" aria-labelledby="measurements-heading" tabIndex={0}>
            <table className="data-table" data-testid="probe-measurements">
              <thead>
                <tr>
                  <th scope="col" className="num">Measurement</th>
                  <th scope="col">Type</th>
                  <th scope="col">Description</th>
                  <th scope="col">Target</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {measurements.results.map((m) => (
                  <tr key={m.id} data-testid="probe-measurement" data-msm-id={m.id}>
                    <td className="num mono">
                      <Link href={`/measurements/${m.id}`}>{m.id}</Link>
                    </td>
                    <td>
                      <span className={`type-badge type-${m.type}`}>{m.type}</span>
                    </td>
                    <td className={styles.prose}>
                      {m.description || "—"}
                      {!m.is_public && <span className={styles.private}> private</span>}
                    </td>
                    <td className="mono">{orDash(m.target)}</td>
                    <td>{m.status.name}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager
          label="Measurement pages"
          param="measurements_page"
          page={measurementsPage}
          pages={Math.ceil(measurements.count / MEASUREMENTS_SHOWN)}
          others={{ history_page: historyPage }}
        />
      </section>

      <section className={styles.section} aria-labelledby="latest-heading">
        <h2 id="latest-heading">Latest results</h2>
        {latest.length === 0 ? (
          <p className="muted">No results from this probe in the measurements above.</p>
        ) : (
          <div className={styles.tableScroll} role="region" aria-labelledby="latest-heading" tabIndex={0}>
            <table className="data-table" data-testid="probe-latest">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col" className="num">Measurement</th>
                  <th scope="col">Result</th>
                </tr>
              </thead>
              <tbody>
                {latest.map(({ measurement, result }) => (
                  <tr key={measurement.id} data-testid="latest-result" data-msm-id={measurement.id}>
                    <td className="mono">{typeof result.timestamp === "number" ? formatTime(result.timestamp) : "—"}</td>
                    <td className="num mono">
                      <Link href={`/measurements/${measurement.id}`}>{measurement.id}</Link>
                    </td>
                    <td className={styles.prose}>
                      <span className={`type-badge type-${measurement.type}`}>{measurement.type}</span> {summarizeResult(result).text}
                      <details className={styles.raw}>
                        <summary>JSON</summary>
                        <pre>{JSON.stringify(result, null, 2)}</pre>
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
