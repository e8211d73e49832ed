import type { NextConfig } from "next";
import { apiURL, firstPartyAuth } from "./lib/config";

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // First-party setup: the browser calls /api/auth/* on this app, and Next.js forwards each request to the API
  // (headers, cookies and redirects pass through), so the session cookie is set on this app's host.
  async rewrites() {
    return firstPartyAuth ? [{ source: "/api/auth/:path*", destination: `${apiURL}/api/auth/:path*` }] : [];
  },
};

export default nextConfig;
