/** Realistic modern-firmware results for tests that need many of them. */
export function pingResult(prbId: number, msmId: number, timestamp: number, extra: Record<string, unknown> = {}) {
  const base = 5 + (prbId % 50);
  const rtts = [base + 0.123, base + 0.456, base + 0.789];
  return {
    fw: 5020, mver: "2.6.2", lts: 12, af: 4, type: "ping", prb_id: prbId, msm_id: msmId, timestamp,
    dst_addr: "193.0.14.129", dst_name: "k.root-servers.net", src_addr: "10.0.0.2", from: `192.0.2.${prbId % 250}`,
    proto: "ICMP", ttl: 55, size: 48, step: 240, sent: 3, rcvd: 3, dup: 0,
    min: rtts[0], avg: rtts[1], max: rtts[2], result: rtts.map((rtt) => ({ rtt })),
    ...extra,
  };
}

/** A ping result with the given RTTs, `null` for a packet lost (`{"x": "*"}`), its summary fields derived from them. */
export function pingWithRtts(msmId: number, prbId: number, timestamp: number, rtts: (number | null)[]) {
  const got = rtts.filter((v): v is number => v !== null);
  return {
    type: "ping", msm_id: msmId, prb_id: prbId, timestamp, fw: 5080, af: 4, dst_addr: "193.0.14.129", src_addr: "10.0.0.2", from: "192.0.2.1",
    proto: "ICMP", size: 48, ttl: 55, step: 240, sent: rtts.length, rcvd: got.length, dup: 0,
    min: got.length ? Math.min(...got) : -1, max: got.length ? Math.max(...got) : -1,
    avg: got.length ? got.reduce((a, b) => a + b, 0) / got.length : -1,
    result: rtts.map((rtt) => (rtt === null ? { x: "*" } : { rtt })),
  };
}
