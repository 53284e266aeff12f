import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Database drivers stay plain Node modules, loaded at run time, not bundled. (Turbopack bundles
  // the workspace package @probestream/db itself whatever this list says, vercel/next.js#84388.)
  serverExternalPackages: ["pg", "@prisma/client", "@prisma/adapter-pg"],
  poweredByHeader: false,
};

export default nextConfig;
