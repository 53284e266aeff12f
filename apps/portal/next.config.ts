import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // forbidden() answers 403 with app/forbidden.tsx (a private measurement to a visitor who may not read it).
  experimental: { authInterrupts: true },
  // Where the build goes: several builds of one checkout side by side (PORTAL_DIST_DIR), or `.next`.
  distDir: process.env.PORTAL_DIST_DIR ?? ".next",
};

export default nextConfig;
