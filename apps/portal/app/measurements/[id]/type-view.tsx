"use client";

import dynamic from "next/dynamic";
import type { ComponentType } from "react";
import type { StoreView } from "../../../components/result-views/result-store";

type View = ComponentType<{ view: StoreView }>;

// One chunk per type: a page loads the decoders and charts of its own type only.
const VIEWS: Record<string, View> = {
  ping: dynamic(() => import("../../../components/result-views/ping-view").then((m) => m.PingView)),
  traceroute: dynamic(() => import("../../../components/result-views/traceroute-view").then((m) => m.TracerouteView)),
  dns: dynamic(() => import("../../../components/result-views/dns-view").then((m) => m.DnsView)),
  sslcert: dynamic(() => import("../../../components/result-views/sslcert-view").then((m) => m.SslcertView)),
  ntp: dynamic(() => import("../../../components/result-views/ntp-view").then((m) => m.NtpView)),
  http: dynamic(() => import("../../../components/result-views/http-view").then((m) => m.HttpView)),
};

/** The measurement's results the way its type reads best. */
export function TypeView({ type, view }: { type: string; view: StoreView }) {
  const View = VIEWS[type];
  return View ? <View view={view} /> : null;
}
