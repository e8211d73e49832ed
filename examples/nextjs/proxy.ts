// Next.js 16's name for middleware.ts. In the first-party setup the session cookie is this app's, so /dashboard and
// /settings can be refused before they render. getSessionCookie only sees that a cookie is there (it does not ask the
// API whether the session is still valid): the page itself still reads the session, and the API checks every call.
// Cross-origin the cookie belongs to the API's host, so this check is off and the page guards itself. (On localhost
// the app would see the API's cookie anyway, since cookies ignore ports; on two real hosts it would not.)
import { NextResponse, type NextRequest } from "next/server";
import { getSessionCookie } from "better-auth/cookies";
import { firstPartyAuth } from "./lib/config";

export function proxy(request: NextRequest) {
  if (firstPartyAuth && !getSessionCookie(request)) {
    return NextResponse.redirect(new URL("/login", request.url));
  }
  return NextResponse.next();
}

// Not for <Link> prefetches: a prefetch of /settings redirected to /login asks /login for the settings page's segment,
// and Next.js answers that with a 404 (seen in Chromium whenever the dashboard's Settings link was prefetched after
// the cookie had gone). A prefetch carries no data; the navigation itself still comes through here.
// (Written out: Next.js reads this object at build time, without running it.)
export const config = {
  matcher: [
    { source: "/dashboard/:path*", missing: [{ type: "header", key: "next-router-prefetch" }] },
    { source: "/settings/:path*", missing: [{ type: "header", key: "next-router-prefetch" }] },
  ],
};
