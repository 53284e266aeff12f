import type { Metadata } from "next";
import { forbidden, notFound } from "next/navigation";
import type { Measurement, StatusCheckAnswer } from "@probestream/types";
import { MeasurementStatusId } from "@probestream/types/status";
import type { UntypedResult } from "@probestream/types/summary";
import { api } from "../../../lib/api";
import { formatCount, formatTime } from "../../../lib/format";
import { gatewayUrlForRequest } from "../../../lib/gateway-url";
import { sessionKey } from "../../../lib/session";
import { LiveResults } from "./live-results";
import { parseMeasurementId } from "./measurement-id";
import { StatusNotice, isLiveStatus } from "./status-notice";
import styles from "./page.module.css";

export const dynamic = "force-dynamic";

const REPLAY_SPAN_SECONDS = 3600;
/** How far before the page's snapshot the live stream catches up: a probe's result is stored within this of its timestamp. */
const CATCH_UP_SECONDS = 120;

interface Props {
  params: Promise<{ id: string }>;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Measurement ${(await params).id}` };
}

/** The measurement as the API gives it to this visitor: 404 and 403 become those pages. */
async function measurementFor(id: number | null): Promise<Measurement> {
  if (id === null) notFound();
  const answer = await api<Measurement>(`/api/v2/measurements/${id}/`);
  if (answer.status === 404) notFound();
  if (answer.status === 403 || answer.status === 401) forbidden();
  if (answer.status !== 200) throw new Error(`The measurements API answered ${answer.status}`);
  return answer.body;
}

export default async function MeasurementPage({ params }: Props) {
  const measurement = await measurementFor(parseMeasurementId((await params).id));
  const id = measurement.id;
  const [latest, health, gatewayUrl, key] = await Promise.all([
    api<UntypedResult[]>(`/api/v2/measurements/${id}/latest/?lookback_days=0`),
    api<StatusCheckAnswer>(`/api/v2/measurements/${id}/status-check/`),
    gatewayUrlForRequest(),
    sessionKey(),
  ]);
  // The stream needs the key only for a private measurement; the API answered, so the key may read it.
  const streamKey = !measurement.is_public && key ? key : null;
  const status = measurement.status.id;
  // Replays start an hour before the end (or now), or at the measurement's start if later.
  const end = measurement.stop_time ?? Math.floor(Date.now() / 1000);
  const replayFrom = Math.max(measurement.start_time ?? measurement.creation_time, end - REPLAY_SPAN_SECONDS);
  // The live stream starts by catching up from shortly before this snapshot of the latest results:
  // a result stored between the snapshot and the subscription is not missed (duplicates are dropped).
  const catchUpFrom = Math.floor(Date.now() / 1000) - CATCH_UP_SECONDS;

  return (
    <>
      <section className={styles.header}>
        <h1>
          Measurement {id} <span className={`type-badge type-${measurement.type}`}>{measurement.type}</span>
        </h1>
        {measurement.description && <p className={styles.lead}>{measurement.description}</p>}
        <dl className={styles.facts}>
          <div>
            <dt>Target</dt>
            <dd className="mono">{measurement.target ?? "—"}</dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd data-testid="msm-status" data-status={status}>
              {measurement.status.name}
            </dd>
          </div>
          <div>
            <dt>Visibility</dt>
            <dd>{measurement.is_public ? "public" : "private"}</dd>
          </div>
          <div>
            <dt>Schedule</dt>
            <dd>{measurement.is_oneoff ? "one-off" : measurement.interval ? `every ${formatCount(measurement.interval)} s` : "—"}</dd>
          </div>
          <div>
            <dt>Probes</dt>
            <dd>
              {formatCount(measurement.participant_count)}
              {measurement.probes_requested > 0 && ` of ${formatCount(measurement.probes_requested)} requested`}
            </dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd className="mono">{formatTime(measurement.start_time)}</dd>
          </div>
          {measurement.stop_time !== null && (
            <div>
              <dt>{status === MeasurementStatusId.Ongoing ? "Stops" : "Stopped"}</dt>
              <dd className="mono">{formatTime(measurement.stop_time)}</dd>
            </div>
          )}
        </dl>
        <StatusNotice status={status} name={measurement.status.name} when={measurement.status.when} startTime={measurement.start_time} />
      </section>
      <LiveResults
        gatewayUrl={gatewayUrl}
        msmId={id}
        type={measurement.type}
        streamKey={streamKey}
        live={isLiveStatus(status)}
        initial={latest.status === 200 && Array.isArray(latest.body) ? latest.body : []}
        replayFrom={replayFrom}
        catchUpFrom={catchUpFrom}
        initialHealth={health.status === 200 ? health.body : null}
      />
    </>
  );
}
