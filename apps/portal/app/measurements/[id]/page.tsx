import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { catalog } from "../../../lib/catalog";
import { formatCount, formatTime, statusName } from "../../../lib/format";
import { gatewayUrlForRequest } from "../../../lib/gateway-url";
import { LiveResults } from "./live-results";

export const dynamic = "force-dynamic";

interface Props {
  params: Promise<{ id: string }>;
}

function parseId(raw: string): number | null {
  return /^[1-9]\d{0,9}$/.test(raw) && Number(raw) <= 2_147_483_647 ? Number(raw) : null;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Measurement ${(await params).id}` };
}

export default async function MeasurementPage({ params }: Props) {
  const id = parseId((await params).id);
  const measurement = id === null ? null : await catalog().getMeasurement(id);
  if (!measurement) notFound();
  const gatewayUrl = await gatewayUrlForRequest();

  return (
    <>
      <section className="msm-header">
        <h1>
          Measurement {measurement.id}{" "}
          <span className={`type-badge type-${measurement.type}`}>{measurement.type}</span>
        </h1>
        {measurement.description && <p className="lead">{measurement.description}</p>}
        <dl className="facts">
          <div>
            <dt>Target</dt>
            <dd className="mono">{measurement.target ?? "—"}</dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>{statusName(measurement.status)}</dd>
          </div>
          <div>
            <dt>Visibility</dt>
            <dd>{measurement.isPublic ? "public" : "private"}</dd>
          </div>
          <div>
            <dt>Stored results</dt>
            <dd>{formatCount(measurement.resultCount)}</dd>
          </div>
          <div>
            <dt>Last result</dt>
            <dd className="mono">{formatTime(measurement.lastResultAt)}</dd>
          </div>
        </dl>
        <a className="button" href={`${gatewayUrl}/api/v2/measurements/${measurement.id}/results/?format=json`} download>
          Download all results (JSON)
        </a>
      </section>
      <LiveResults gatewayUrl={gatewayUrl} msmId={measurement.id} />
    </>
  );
}
