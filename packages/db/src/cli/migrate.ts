#!/usr/bin/env node
import { DEFAULT_DATABASE_URL } from "../pool.js";
import { migrate } from "../migrate.js";

function redactPassword(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

/** Connection failures to every address of a host arrive as an AggregateError with an empty message. */
function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return err.errors.map(describeError).join("; ");
  }
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;

try {
  console.log(`Migrating ${redactPassword(databaseUrl)}`);
  const applied = await migrate(databaseUrl, (msg) => console.log(msg));
  console.log(applied.length === 0 ? "Schema is up to date." : `Applied: ${applied.join(", ")}`);
} catch (err) {
  console.error(`Migration failed on ${redactPassword(databaseUrl)}: ${describeError(err)}`);
  process.exitCode = 1;
}
