import type { Metadata } from "next";
import Link from "next/link";
import { measurementFormSpec } from "../../../lib/measurement-form";
import { sessionKey } from "../../../lib/session";
import { MeasurementForm } from "./measurement-form";
import styles from "./new.module.css";

export const metadata: Metadata = { title: "New measurement" };

export default async function NewMeasurementPage() {
  const signedIn = (await sessionKey()) !== undefined;
  return (
    <div className={styles.page}>
      <h1>New measurement</h1>
      <p className="muted">
        Ping, traceroute, DNS, TLS certificate, NTP or HTTP, from the probes you choose, once or periodically. The options and
        their limits are RIPE Atlas&apos;s; results appear live on the measurement&apos;s page as the probes answer.
      </p>
      {signedIn ? (
        <MeasurementForm spec={measurementFormSpec()} />
      ) : (
        <p className={`notice notice-warn ${styles.signIn}`} data-testid="sign-in-needed">
          Creating a measurement needs an API key with the right to create measurements, so that it has an owner.{" "}
          <Link href="/session?next=/measurements/new">Sign in with your key</Link> to continue.
        </p>
      )}
    </div>
  );
}
