import Link from "next/link";
import { catalog } from "../lib/catalog";
import { formatCount, formatTime, statusName } from "../lib/format";

export const dynamic = "force-dynamic";

export default async function MeasurementsPage() {
  const measurements = await catalog().listMeasurements();
  return (
    <>
      <h1>Measurements</h1>
      {measurements.length === 0 ? (
        <p className="muted">No measurements yet.</p>
      ) : (
        <table className="data-table" data-testid="measurements">
          <thead>
            <tr>
              <th>ID</th>
              <th>Type</th>
              <th>Description</th>
              <th>Target</th>
              <th>Status</th>
              <th className="num">Results</th>
              <th>Last result</th>
            </tr>
          </thead>
          <tbody>
            {measurements.map((m) => (
              <tr key={m.id} data-testid="measurement-row" data-msm-id={m.id} data-result-count={m.resultCount}>
                <td>
                  <Link href={`/measurements/${m.id}`}>{m.id}</Link>
                </td>
                <td>
                  <span className={`type-badge type-${m.type}`}>{m.type}</span>
                </td>
                <td>
                  <Link href={`/measurements/${m.id}`}>{m.description || <span className="muted">(none)</span>}</Link>
                </td>
                <td className="mono">{m.target ?? "—"}</td>
                <td>{statusName(m.status)}</td>
                <td className="num">{formatCount(m.resultCount)}</td>
                <td className="mono">{formatTime(m.lastResultAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
