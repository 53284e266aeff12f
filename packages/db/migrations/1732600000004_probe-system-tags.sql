-- Up Migration

-- What a probe's own results show about it, kept so that its system tags follow (RIPE Atlas
-- system-ipv4-works, system-resolves-a-correctly, ...): the last time each capability was seen
-- working. Written by ingest a few times a minute, not per result.
CREATE TABLE probe_evidence (
  prb_id              integer PRIMARY KEY REFERENCES probes (id) ON DELETE CASCADE,
  ipv4_works_at       timestamptz,
  ipv6_works_at       timestamptz,
  resolves_a_at       timestamptz,
  resolves_aaaa_at    timestamptz
);

-- Probe sources select by tag: find the probes of a tag without reading every probe's tags.
CREATE INDEX probe_tags_tag ON probe_tags (tag);

-- Down Migration

DROP INDEX probe_tags_tag;
DROP TABLE probe_evidence;
