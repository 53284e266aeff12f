"use client";

import { useEffect, useRef, useState } from "react";
import { WorldMap } from "../world-map";
import { formatMs } from "../../lib/format";
import { LATENCY_LEGEND, latencyColor } from "./palette";
import { meanRtt, type ProbeAggregate } from "./result-store";
import styles from "./latency-map.module.css";
import viewStyles from "./views.module.css";

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
export function LatencyMap({ locationsUrl, probes }: { locationsUrl: string; probes: ProbeAggregate[] }) {
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

  const points = probes.flatMap((p) => {
    const where = locations.get(p.prbId);
    if (!where) return [];
    const rtt = meanRtt(p);
    return [
      {
        id: p.prbId,
        lat: where.lat,
        lon: where.lon,
        color: latencyColor(rtt),
        label: `Probe ${p.prbId}${where.country ? ` (${where.country})` : ""}: ${rtt === null ? "no answer" : `mean ${formatMs(rtt)}`}`,
        href: `/probes/${p.prbId}`,
      },
    ];
  });
  const unplaced = probes.length - points.length;

  return (
    <section className={viewStyles.section} aria-labelledby="latency-map" data-testid="latency-map" data-points={points.length}>
      <h3 id="latency-map">Latency map</h3>
      <WorldMap points={points} ariaLabel="Probes that answered, coloured by mean response time" height={360} />
      <ul className={styles.legend} aria-label="Colours">
        {LATENCY_LEGEND.map((entry) => (
          <li key={entry.label}>
            <span className={styles.dot} style={{ background: entry.color }} aria-hidden="true" />
            {entry.label}
          </li>
        ))}
      </ul>
      {unplaced > 0 && <p className={viewStyles.note}>{unplaced} probe(s) without a known location are not on the map.</p>}
    </section>
  );
}
