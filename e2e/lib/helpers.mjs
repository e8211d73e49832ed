// Shared pieces of the e2e tests: env, a better-auth client with a cookie jar, result checks.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createAuthClient } from "better-auth/client";
import { jwtClient } from "better-auth/client/plugins";
import { fetchWithCookies } from "./fetch-with-cookies.mjs";

export const ORIGIN = process.env.ORIGIN || "http://localhost:3000";

/** The base URL in env var `name`, without a trailing slash, or null when unset. */
export function baseUrlFromEnv(name) {
  const v = process.env[name];
  if (!v) return null;
  new URL(v); // throws on garbage, loudly
  return v.replace(/\/+$/, "");
}

/** A real better-auth client (with jwtClient) whose fetch keeps cookies; `client.$fetchImpl.jar` is the jar. */
export function makeClient(baseURL, { origin = ORIGIN, jar } = {}) {
  const customFetchImpl = fetchWithCookies({ origin, jar });
  const client = createAuthClient({
    baseURL,
    plugins: [jwtClient()],
    fetchOptions: { customFetchImpl },
  });
  return { client, fetchImpl: customFetchImpl, jar: customFetchImpl.jar };
}

/** A fresh, unique, mixed-case address (the servers must lowercase it). */
export function randomEmail(tag = "e2e") {
  return `${tag}-${randomBytes(6).toString("hex")}@Example.COM`;
}

export const PASSWORD = "correct horse battery staple";

/** Assert a better-auth client result succeeded and return its data. */
export function okData(result, what) {
  assert.equal(result.error, null, `${what} failed: ${JSON.stringify(result.error)}`);
  assert.ok(result.data !== undefined, `${what}: no data`);
  return result.data;
}

/** Assert a better-auth client result failed with that status (and code, when given). */
export function expectError(result, status, code, what) {
  assert.equal(result.data, null, `${what}: expected an error, got data ${JSON.stringify(result.data)}`);
  assert.ok(result.error, `${what}: expected an error`);
  assert.equal(result.error.status, status, `${what}: ${JSON.stringify(result.error)}`);
  if (code !== undefined) assert.equal(result.error.code, code, `${what}: ${JSON.stringify(result.error)}`);
}

export const SESSION_COOKIE_RE = /^(__Secure-)?better-auth\.session_token$/;

/** The session cookie in a jar as `{ name, value }` (value URL-encoded, as sent), or undefined. */
export function sessionCookie(jar) {
  return jar.cookies().find((c) => SESSION_COOKIE_RE.test(c.name));
}

/** Split a session cookie value into the raw session token and its signature. */
export function splitSessionCookie(value) {
  const decoded = decodeURIComponent(value);
  const dot = decoded.lastIndexOf(".");
  return { token: decoded.slice(0, dot), signature: decoded.slice(dot + 1) };
}

export const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
export const ID_RE = /^[A-Za-z0-9]{32}$/;

/** The keys of a list-sessions item, in the order Better Auth 1.7.25 sends them. */
export const SESSION_KEYS = ["expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId", "id"];
