/**
 * RIPE Atlas system tags: set by the platform from what a probe reports (its addresses, whether it
 * is an anchor) and from what it measures (IPv4/IPv6 reachability, DNS answers), and kept current.
 * Users select probes by them (`tags: {include, exclude}` in a probe source); `system-ipv4-works`
 * is what RIPE's own tools ask for by default. The slug is the tag; the name is how RIPE shows it.
 */
export const SystemTags = {
  "system-ipv4-capable": "System: IPv4 Capable",
  "system-ipv6-capable": "System: IPv6 Capable",
  "system-ipv4-works": "System: IPv4 Works",
  "system-ipv6-works": "System: IPv6 Works",
  "system-ipv4-rfc1918": "System: IPv4 RFC1918",
  "system-resolves-a-correctly": "System: Resolves A Correctly",
  "system-resolves-aaaa-correctly": "System: Resolves AAAA Correctly",
  "system-anchor": "System: Anchor",
} as const;

type SystemTag = keyof typeof SystemTags;

/** Tags a user may not set: the platform's own. */
export const SYSTEM_TAG_PREFIX = "system-";

/**
 * How long one successful measurement keeps a "works" or "resolves" tag: a probe whose IPv6 broke
 * loses `system-ipv6-works` once it has not reached anything over IPv6 for this long.
 */
export const SYSTEM_TAG_EVIDENCE_SECONDS = 24 * 3600;

/** A tag as the REST API shows it: `{name, slug}`. */
export function probeTagOf(slug: string): { name: string; slug: string } {
  return { name: SystemTags[slug as SystemTag] ?? slug, slug };
}

/** User tags are slugs: lower-case letters, digits, `-` and `_`. */
export const USER_TAG_PATTERN = "^(?!system-)[a-z0-9_-]{1,64}$";
