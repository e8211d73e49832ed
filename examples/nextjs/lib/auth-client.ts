// One of the two files a team changes (the other is lib/api.ts): Better Auth's client, pointed at our API.
import { createAuthClient } from "better-auth/react";
import { jwtClient } from "better-auth/client/plugins";
import { authURL } from "./config";

export const authClient = createAuthClient({
  // Cross-origin, the client sends its requests with credentials: "include" (its default), and the API answers
  // with CORS for this app's origin (the API's CORS_ORIGINS).
  baseURL: `${authURL}/api/auth`,
  plugins: [jwtClient()],
});

/**
 * Better Auth's client answers a refusal with `{ error }`, but throws when the request never reached the API
 * (offline, API down, CORS refused). `await call().catch(unreachable)` makes that an `{ error }` too.
 */
export const unreachable = () => ({ data: null, error: { message: "Could not reach the server. Please try again." } });

// The tasks API takes a JWT from /api/auth/token (EdDSA, 15 minutes), not the session cookie. One is kept in
// memory, never in localStorage, and a new one is fetched a minute before it expires.
let cached: { token: string; expiresAt: number } | null = null;
let pending: Promise<string | null> | null = null;

/** A JWT for the tasks API, or null when there is no session (the API answered 401). */
export function getToken(): Promise<string | null> {
  if (cached && cached.expiresAt - 60_000 > Date.now()) return Promise.resolve(cached.token);
  // One request for concurrent callers.
  pending ??= authClient
    .token()
    .then(({ data }) => {
      cached = data ? { token: data.token, expiresAt: expiry(data.token) } : null;
      return cached?.token ?? null;
    })
    .finally(() => {
      pending = null;
    });
  return pending;
}

/** Drops the cached JWT: at sign-out, and when the API refuses it. */
export function forgetToken() {
  cached = null;
}

function expiry(jwt: string): number {
  try {
    const payload = JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return payload.exp * 1000;
  } catch {
    return 0; // unreadable: use it once, fetch a new one next time
  }
}
