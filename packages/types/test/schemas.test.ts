import { describe, expect, it } from "vitest";
import {
  IngestResponse,
  ProbeRegistration,
  ProbeRegistrationResponse,
  ProbeStatusEvent,
  ajv,
  describeFirstError,
} from "../src/index.js";

function check(schema: Parameters<typeof ajv.compile>[0], value: unknown) {
  const validate = ajv.compile(schema);
  return validate(value) ? { ok: true } : { ok: false, ...describeFirstError(validate.errors ?? []) };
}

describe("ProbeStatusEvent", () => {
  const event = {
    prb_id: 6001,
    type: "connection",
    event: "disconnect",
    timestamp: 1700000000,
    controller: "ctr-ams01",
    asn: 3333,
    prefix: "193.0.0.0/21",
    country: "NL",
  };

  it("accepts connection events, with nulls for unknown network data", () => {
    expect(check(ProbeStatusEvent, event)).toEqual({ ok: true });
    expect(check(ProbeStatusEvent, { ...event, asn: null, prefix: null, country: null })).toEqual({ ok: true });
  });

  it("rejects other events and missing fields", () => {
    expect(check(ProbeStatusEvent, { ...event, event: "reboot" })).toMatchObject({ ok: false, field: "event" });
    const { controller: _controller, ...withoutController } = event;
    expect(check(ProbeStatusEvent, withoutController)).toEqual({
      ok: false,
      field: "controller",
      message: "is required",
    });
  });
});

describe("ingest shapes", () => {
  it("validates registrations", () => {
    expect(check(ProbeRegistration, {})).toEqual({ ok: true });
    expect(
      check(ProbeRegistration, {
        prb_id: 6001,
        asn_v4: 3333,
        prefix_v4: "193.0.0.0/21",
        country_code: "NL",
        address_v4: "193.0.0.78",
        address_v6: "2001:67c:2e8::1",
        latitude: 52.37,
        longitude: 4.89,
        description: "office probe",
      }),
    ).toEqual({ ok: true });
    expect(check(ProbeRegistration, { country_code: "NLD" })).toMatchObject({ ok: false, field: "country_code" });
    expect(check(ProbeRegistration, { address_v4: "300.1.1.1" })).toMatchObject({ ok: false, field: "address_v4" });
    expect(check(ProbeRegistration, { prb_id: 0 })).toMatchObject({ ok: false, field: "prb_id" });
    expect(check(ProbeRegistrationResponse, { prb_id: 1, secret: "s" })).toEqual({ ok: true });
  });

  it("validates upload answers", () => {
    expect(
      check(IngestResponse, { stored: 2, duplicates: 1, rejected: [{ index: 3, field: "prb_id", message: "is required" }] }),
    ).toEqual({ ok: true });
    expect(check(IngestResponse, { stored: 2, duplicates: 0, rejected: [{ index: 0 }] })).toEqual({
      ok: false,
      field: "rejected/0/field",
      message: "is required",
    });
  });
});
