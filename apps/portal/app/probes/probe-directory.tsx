"use client";

import Link from "next/link";
import { useMemo } from "react";
import type { Probe } from "@probestream/types";
import { WorldMap } from "../../components/world-map";
import { probeStatusColor, probeStatusName, statusAfter, type ShownStatus } from "./probe-status";
import { StatusBadge } from "./status-badge";
import { StreamIndicator } from "./stream-indicator";
import { useProbeStatusStream } from "./use-probe-status-stream";
import styles from "./probes.module.css";

/** What the map needs of a probe (the directory asks the API for these fields only). */
export type MappedProbe = Pick<Probe, "id" | "geometry" | "status" | "country_code" | "asn_v4" | "asn_v6">;

function asn(probe: MappedProbe): string {
  const asns = [...new Set([probe.asn_v4, probe.asn_v6].filter((a): a is number => a !== null))];
  return asns.length === 0 ? "—" : asns.map((a) => `AS${a}`).join(", ");
}

/**
 * A page of the directory in a table, and the probes matching the filters (up to the API's page
 * limit) on the map, their status following the probestatus stream: a probe connecting or
 * disconnecting changes its row and its dot at once.
 */
export function ProbeDirectory({
  probes,
  mapped,
  matching,
  gatewayUrl,
}: {
  probes: Probe[];
  mapped: MappedProbe[];
  /** How many probes match the filters in all. */
  matching: number;
  gatewayUrl: string;
}) {
  const { events, state } = useProbeStatusStream(gatewayUrl);

  const statuses = useMemo(() => {
    const shown = new Map<number, ShownStatus>([...mapped, ...probes].map((p) => [p.id, { id: p.status.id, since: p.status.since }]));
    // Events are newest first: the first one of a probe is its status now.
    const seen = new Set<number>();
    for (const event of events) {
      if (seen.has(event.prb_id) || !shown.has(event.prb_id)) continue;
      seen.add(event.prb_id);
      const before = shown.get(event.prb_id);
      if (before?.since == null || event.timestamp >= before.since) shown.set(event.prb_id, statusAfter(event));
    }
    return shown;
  }, [probes, mapped, events]);

  const points = mapped.flatMap((p) => {
    if (!p.geometry) return [];
    const [lon, lat] = p.geometry.coordinates;
    const status = statuses.get(p.id)?.id ?? p.status.id;
    return [{
      id: p.id,
      lon,
      lat,
      color: probeStatusColor(status),
      label: `Probe ${p.id}${p.country_code ? `, ${p.country_code}` : ""}, ${asn(p)}: ${probeStatusName(status)}`,
      href: `/probes/${p.id}`,
    }];
  });
  const unmapped = matching - points.length;

  return (
    <>
      <div className={styles.liveBar}>
        <StreamIndicator state={state} />
        <span className="muted">
          {points.length} {points.length === 1 ? "probe" : "probes"} on the map
          {unmapped > 0 && ` (${mapped.length < matching ? `the first ${mapped.length}` : `${unmapped} without a location`})`}.
        </span>
        <a className={styles.skip} href="#probe-list">
          Skip the map to the list
        </a>
      </div>
      <div className={styles.mapBox} data-testid="probe-map">
        <WorldMap points={points} ariaLabel={`Map of ${points.length} probes, coloured by status`} />
        <ul className={styles.legend} aria-label="Status colours">
          {[1, 2, 0, 3].map((id) => (
            <li key={id}>
              <span className={styles.dot} style={{ background: probeStatusColor(id) }} aria-hidden="true" />
              {probeStatusName(id)}
            </li>
          ))}
        </ul>
      </div>
      <div className={styles.tableScroll} id="probe-list" role="region" aria-label="Probe list" tabIndex={0}>
        <table className={`data-table ${styles.table}`} data-testid="probe-table">
          <caption className={styles.caption}>Probes</caption>
          <thead>
            <tr>
              <th scope="col" className="num">Probe</th>
              <th scope="col">Country</th>
              <th scope="col">ASN</th>
              <th scope="col">Status</th>
              <th scope="col">Tags</th>
            </tr>
          </thead>
          <tbody>
            {probes.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">No probe matches these filters.</td>
              </tr>
            )}
            {probes.map((p) => {
              const status = statuses.get(p.id) ?? { id: p.status.id, since: p.status.since };
              return (
                <tr key={p.id} data-testid="probe-row" data-prb-id={p.id} data-status={status.id}>
                  <td className="num mono">
                    <Link href={`/probes/${p.id}`}>{p.id}</Link>
                    {p.is_anchor && <span className={styles.anchor}> anchor</span>}
                  </td>
                  <td>{p.country_code ?? "—"}</td>
                  <td className="mono">{asn(p)}</td>
                  <td>
                    <StatusBadge status={status} />
                  </td>
                  <td className={styles.tags}>{p.tags.length === 0 ? "—" : p.tags.map((t) => t.slug).join(", ")}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
