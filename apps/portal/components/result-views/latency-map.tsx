"use client";

import { memo, useEffect, useMemo, useRef, useState } from "react";
import { WorldMap } from "../world-map";
import { LATENCY_LEGEND, latencyColor } from "./palette";
import { meanRtt, type ProbeAggregate } from "./result-store";
import styles from "./latency-map.module.css";
import viewStyles from "./views.module.css";

const StableWorldMap = memo(WorldMap);

export interface ProbeLocation {
  id: number;
  lat: number;
  lon: number;
  country: string | null;
}

/** Probes asked for in one request (the API's id__in takes a list). */
const LOOKUP_BATCH = 200;
/** New probes are looked up together, not one request per result. */
const LOOKUP_DELAY_MS = 500;

/**
 * Where the probes that answered are, coloured by their mean response time. Locations come from
 * the probes API as the visitor (through the page's route handler), looked up once per probe.
 */
export function LatencyMap({ locationsUrl, probes, alerting }: { locationsUrl: string; probes: ProbeAggregate[]; alerting?: ReadonlySet<number> }) {
  const [locations, setLocations] = useState<Map<number, ProbeLocation>>(new Map());
  const asked = useRef(new Set<number>());
  const ids = probes.map((p) => p.prbId);
  const missing = ids.filter((id) => !asked.current.has(id));
  const missingKey = missing.join(",");

  useEffect(() => {
    if (missingKey === "") return;
    const batch = missingKey.split(",").map(Number).slice(0, LOOKUP_BATCH);
    const timer = setTimeout(() => {
      for (const id of batch) asked.current.add(id);
      fetch(`${locationsUrl}?ids=${batch.join(",")}`)
        .then((res) => (res.ok ? (res.json() as Promise<ProbeLocation[]>) : []))
        .then((found) => {
          if (found.length === 0) return;
          setLocations((known) => new Map([...known, ...found.map((l) => [l.id, l] as const)]));
        })
        .catch(() => {
          // Asked again when the next probe appears.
          for (const id of batch) asked.current.delete(id);
        });
    }, LOOKUP_DELAY_MS);
    return () => clearTimeout(timer);
  }, [missingKey, locationsUrl]);

  // The map redraws when a probe appears, changes colour or alert state, not with every result.
  const bands = probes.map((p) => `${p.prbId}:${latencyColor(meanRtt(p))}:${alerting?.has(p.prbId) ? "!" : ""}`).join(",");
  const points = useMemo(
    () =>
      bands === ""
        ? []
        : bands.split(",").flatMap((entry) => {
            const [id = "", color = "", alert = ""] = entry.split(":");
            const where = locations.get(Number(id));
            if (!where) return [];
            const band = LATENCY_LEGEND.find((l) => l.color === color)?.label ?? "";
            const label = `Probe ${id}${where.country ? ` (${where.country})` : ""}: mean response ${band}${alert ? ", alerting" : ""}`;
            return [{ id: Number(id), lat: where.lat, lon: where.lon, color, label, href: `/probes/${id}`, alert: alert !== "" }];
          }),
    [bands, locations],
  );
  const unplaced = probes.length - points.length;

  return (
    <section className={viewStyles.section} aria-labelledby="latency-map" data-testid="latency-map" data-points={points.length}>
      <h3 id="latency-map">Latency map</h3>
      <StableWorldMap points={points} ariaLabel="Probes that answered, coloured by mean response time" height={360} />
      <ul className={styles.legend} aria-label="Colours">
        {LATENCY_LEGEND.map((entry) => (
          <li key={entry.label}>
            <span className={styles.dot} style={{ background: entry.color }} aria-hidden="true" />
            {entry.label}
          </li>
        ))}
        <li>
          <span className={`${styles.dot} ${styles.alertDot}`} aria-hidden="true" />
          alerting (status check)
        </li>
      </ul>
      {unplaced > 0 && <p className={viewStyles.note}>{unplaced} probe(s) without a known location are not on the map.</p>}
    </section>
  );
}
