// The two URLs the app needs, compiled into the build (NEXT_PUBLIC_*): see .env.example.
//
// NEXT_PUBLIC_API_URL          the API: the tasks routes, called with a Bearer JWT.
// NEXT_PUBLIC_BETTER_AUTH_URL  where the browser sends /api/auth/* (the same value as the API's BETTER_AUTH_URL):
//   - the API itself: cross-origin, the session cookie belongs to the API's host;
//   - this app's own URL: first-party, next.config.ts proxies /api/auth/* to the API, the cookie is this app's
//     and proxy.ts can check it before rendering /dashboard.
// docs/nextjs.md (at the repository's root) says when to choose which.

function origin(name: string, value: string | undefined): string {
  if (!value) throw new Error(`${name} is not set (see examples/nextjs/.env.example)`);
  return new URL(value).origin;
}

// Written out in full: Next.js inlines only literal `process.env.NEXT_PUBLIC_…` reads.
export const apiURL = origin("NEXT_PUBLIC_API_URL", process.env.NEXT_PUBLIC_API_URL);
export const authURL = origin(
  "NEXT_PUBLIC_BETTER_AUTH_URL",
  process.env.NEXT_PUBLIC_BETTER_AUTH_URL ?? process.env.NEXT_PUBLIC_API_URL,
);

/** True when the app serves /api/auth itself (proxied to the API), so the session cookie is first-party. */
export const firstPartyAuth = authURL !== apiURL;
