import type { Pool } from "pg";
import { ProbeStatusId } from "@probestream/types";
import { refreshSystemTags } from "./probe-tags.js";

/** A probe's session opened or closed, with what the probe reported when it opened. */
export interface ProbeStatusChange {
  prbId: number;
  event: "connect" | "disconnect";
  firmware: number | null;
  addressV4: string | null;
  addressV6: string | null;
}

/** A recorded change as `atlas_probestatus` tells it (`ts` in Unix seconds). */
export interface RecordedProbeStatus {
  id: string;
  prb_id: number;
  event: "connect" | "disconnect";
  ts: string;
  asn: number | null;
  prefix: string | null;
  country: string | null;
  controller: string;
}

// Records a run of status changes in one statement: each probe's row takes its last change, every
// change becomes an event, in the order it happened.
const RECORD = `
  WITH change AS (
    SELECT * FROM unnest($1::int[], $2::text[], $3::int[], $5::text[], $6::text[])
      WITH ORDINALITY AS t(prb_id, event, firmware, address_v4, address_v6, ord)
  ), latest AS (
    SELECT prb_id,
           (array_agg(event ORDER BY ord DESC))[1] AS event,
           bool_or(event = 'connect') AS connected,
           (array_agg(firmware ORDER BY ord DESC) FILTER (WHERE firmware IS NOT NULL))[1] AS firmware,
           (array_agg(address_v4 ORDER BY ord DESC) FILTER (WHERE address_v4 IS NOT NULL))[1] AS address_v4,
           (array_agg(address_v6 ORDER BY ord DESC) FILTER (WHERE address_v6 IS NOT NULL))[1] AS address_v6
    FROM change GROUP BY prb_id
  ), probe AS (
    UPDATE probes p SET
      status = CASE WHEN latest.event = 'connect' THEN ${ProbeStatusId.Connected} ELSE ${ProbeStatusId.Disconnected} END,
      status_since = now(),
      first_connected = CASE WHEN latest.connected THEN COALESCE(p.first_connected, now()) ELSE p.first_connected END,
      last_connected = CASE WHEN latest.connected THEN now() ELSE p.last_connected END,
      firmware = COALESCE(latest.firmware, p.firmware),
      address_v4 = COALESCE(latest.address_v4, p.address_v4),
      address_v6 = COALESCE(latest.address_v6, p.address_v6)
    FROM latest WHERE p.id = latest.prb_id
    RETURNING p.id, p.asn_v4, p.prefix_v4, p.country_code
  )
  INSERT INTO probe_status_events (prb_id, event, asn, prefix, country, controller)
  SELECT change.prb_id, change.event, probe.asn_v4, probe.prefix_v4, probe.country_code, $4
  FROM change JOIN probe ON probe.id = change.prb_id ORDER BY change.ord
  RETURNING id, prb_id, event, extract(epoch FROM at)::bigint AS ts, asn, prefix, country, controller`;

/**
 * Records a run of probes' status changes through `controller` in one statement: the probes' rows
 * (status, times, firmware, addresses) and an event per change. Returns the events in the order
 * the changes happened.
 */
export async function recordProbeStatus(pool: Pool, controller: string, run: readonly ProbeStatusChange[]): Promise<RecordedProbeStatus[]> {
  const { rows } = await pool.query<RecordedProbeStatus>(RECORD, [
    run.map((c) => c.prbId),
    run.map((c) => c.event),
    run.map((c) => c.firmware),
    controller,
    run.map((c) => c.addressV4),
    run.map((c) => c.addressV6),
  ]);
  // Addresses a probe reports make it IPv4/IPv6 capable (system tags) at once.
  const reporting = run.filter((c) => c.addressV4 !== null || c.addressV6 !== null).map((c) => c.prbId);
  if (reporting.length > 0) await refreshSystemTags(pool, reporting);
  return rows.sort((a, b) => Number(a.id) - Number(b.id));
}

/** The stored hash of a probe's secret, null for an unknown probe. */
export async function probeSecretHash(pool: Pool, prbId: number): Promise<string | null> {
  const { rows } = await pool.query<{ secret_hash: string }>("SELECT secret_hash FROM probes WHERE id = $1", [prbId]);
  return rows[0]?.secret_hash ?? null;
}

/** A recorded connection or disconnection of a probe, as `atlas_probestatus` tells it (`timestamp` in Unix seconds). */
export interface ProbeStatusHistoryEntry {
  prb_id: number;
  type: "connection";
  event: "connect" | "disconnect";
  timestamp: number;
  controller: string;
  asn: number | null;
  prefix: string | null;
  country: string | null;
}

/** A probe's connections and disconnections, newest first, a page of them and how many there are in all. */
export async function probeStatusHistory(
  pool: Pool,
  prbId: number,
  page: { limit: number; offset: number },
): Promise<{ count: number; events: ProbeStatusHistoryEntry[] }> {
  const [count, events] = await Promise.all([
    pool.query<{ n: number }>("SELECT count(*)::int AS n FROM probe_status_events WHERE prb_id = $1", [prbId]),
    pool.query<ProbeStatusHistoryEntry>(
      `SELECT prb_id, 'connection' AS type, event, extract(epoch FROM at)::bigint::int AS timestamp, controller, asn, prefix,
              rtrim(country) AS country
       FROM probe_status_events WHERE prb_id = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3`,
      [prbId, page.limit, page.offset],
    ),
  ]);
  return { count: count.rows[0]!.n, events: events.rows };
}
