import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Database drivers stay plain Node modules, loaded at run time, not bundled. Turbopack does not
  // apply this to the workspace package @probestream/db itself: lib/catalog.ts imports it at run time.
  serverExternalPackages: ["@probestream/db", "pg", "@prisma/client", "@prisma/adapter-pg"],
  poweredByHeader: false,
};

export default nextConfig;
