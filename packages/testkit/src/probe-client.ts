/** A probe as the ingest API sees it: registered, then posting batches under its own id. */
export interface TestProbe {
  prbId: number;
  secret: string;
  authorization: string;
}

export async function registerProbe(ingestUrl: string, adminToken: string, prbId?: number): Promise<TestProbe> {
  const res = await fetch(`${ingestUrl}/probe/register`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(prbId === undefined ? {} : { prb_id: prbId }),
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { prb_id: number; secret: string };
  return { prbId: body.prb_id, secret: body.secret, authorization: `Probe ${body.prb_id}:${body.secret}` };
}

export interface PostOutcome {
  status: number;
  body: { stored?: number; duplicates?: number; rejected?: { index: number; field: string; message: string }[]; error?: { detail: string } };
}

export async function postResults(
  ingestUrl: string,
  probe: TestProbe,
  payload: unknown,
  contentType = "application/json",
): Promise<PostOutcome> {
  const res = await fetch(`${ingestUrl}/probe/results`, {
    method: "POST",
    headers: { authorization: probe.authorization, "content-type": contentType },
    body: typeof payload === "string" ? payload : JSON.stringify(payload),
  });
  return { status: res.status, body: (await res.json()) as PostOutcome["body"] };
}
