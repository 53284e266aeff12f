#!/usr/bin/env bash
# The one command that sets probestream up and runs it: installs, builds, then starts every app in
# one process tree (embedded PostgreSQL when DATABASE_URL is unset, in-process bus when REDIS_URL is
# unset), feeds a demo fleet of simulated probes, and prints the portal's URL.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-/bin/true}"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npx turbo run build --output-logs=errors-only
exec node apps/standalone/dist/main.js
