import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Database drivers and the catalog stay plain Node modules, loaded at run time, not bundled.
  serverExternalPackages: ["@probestream/db", "pg", "@prisma/client", "@prisma/adapter-pg"],
  poweredByHeader: false,
};

export default nextConfig;
