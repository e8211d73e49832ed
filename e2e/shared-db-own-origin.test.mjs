// A Better Auth server at ITS OWN origin (as in a team's Next.js app) beside our Rust API, on one database with one
// BETTER_AUTH_SECRET, with no verify hook and no shared base URL: our API (OWN_API_URL) runs with
// PASSWORD_HASH=scrypt (new hashes in Better Auth's own "salt:key" format) and JWT_ISSUERS=<the BA server's origin>
// (JWT_AUDIENCES defaults to the same list). Every direction is checked with the real client:
//   - passwords: sign-up, changePassword and a mailed reset on either side sign in on the other;
//   - JWTs: Better Auth's own JWT (iss = aud = its origin) opens our task routes, the default local-api (API_URL,
//     no JWT_ISSUERS) refuses it with 401 "Invalid token: wrong issuer or audience", and our JWTs verify against
//     Better Auth's /jwks (one jwks table);
//   - sessions: either side's session cookie is accepted by the other's get-session; sign-out and revokeSession on
//     one side end the session on the other;
//   - the rateLimit table: a bucket one side filled refuses on the other.
//
// Cookies: a browser keeps the two origins' cookies apart (host-only cookies; in production the app and the API are
// different hosts), so each side here has its own jar, and a cookie "accepted by the other side" is copied from one
// jar into the other, as a proxy or a server-side fetch would forward it. (The test jar, like a browser, ignores
// ports, so one jar would silently send 127.0.0.1 cookies to both servers and prove nothing.)
//
// Env: OWN_API_URL (our API, PASSWORD_HASH=scrypt, JWT_ISSUERS=<OWN_BA_URL's origin>), OWN_API_OUTBOX_DIR (its
//      outbox), OWN_BA_URL (node better-auth-server.mjs with BETTER_AUTH_URL = its own URL, no --argon2, and
//      BETTER_AUTH_OPTIONS='{"rateLimit":{"enabled":true,"storage":"database"}}'), OWN_BA_OUTBOX_DIR (its outbox),
//      API_URL (a local-api WITHOUT JWT_ISSUERS), DATABASE_URL (the servers' database: hash formats, rateLimit
//      rows): all required. ORIGIN (default http://localhost:3000; trusted by all), SKIP_TASK_ROUTES=1 (only when
//      OWN_API_URL and API_URL are stock Better Auth servers: skips the task-route steps, saying why),
//      E2E_AUTH_RATE_LIMIT (our API's limit, default "3/10").
// Better Auth keys its rate limit by client IP, which it reads only from x-forwarded-for (outside NODE_ENV
// development/test): without the header its requests count in "no-trusted-ip|<path>" buckets, while our API
// counts the socket's 127.0.0.1. So the other steps never share a bucket across the two sides, and the rate-limit
// step sends x-forwarded-for: 127.0.0.1 (as a proxy in front of the app would) to put Better Auth in our buckets.
// Calls, each counted per path as both servers do: our API sign-up 1, sign-in 3, change-password 1,
// request-password-reset 1; Better Auth sign-up 1, sign-in 3, change-password 1, request-password-reset 1. The
// rate-limit step then fills /sign-in/email and /sign-up/email (at most 4 calls each, refused ones) and is last:
// it leaves both buckets full for 10 s.
import { test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { ORIGIN, PASSWORD, baseUrlFromEnv, makeClient, randomEmail, okData, sessionCookie, splitSessionCookie, ID_RE } from "./lib/helpers.mjs";
import { RateGate, parseRateLimit, gated, retryOnceOn429 } from "./lib/rate-gate.mjs";
import { outboxFromEnv, checkMailShape, resetTokenOf } from "./lib/outbox.mjs";

const OWN_API_URL = baseUrlFromEnv("OWN_API_URL");
const OWN_BA_URL = baseUrlFromEnv("OWN_BA_URL");
const API_URL = baseUrlFromEnv("API_URL");
const apiOutbox = outboxFromEnv("OWN_API_OUTBOX_DIR", "our API");
const baOutbox = outboxFromEnv("OWN_BA_OUTBOX_DIR", "Better Auth");
const DATABASE_URL = process.env.DATABASE_URL;
const missing = [
  !OWN_API_URL && "OWN_API_URL",
  !apiOutbox && "OWN_API_OUTBOX_DIR",
  !OWN_BA_URL && "OWN_BA_URL",
  !baOutbox && "OWN_BA_OUTBOX_DIR",
  !API_URL && "API_URL",
  !DATABASE_URL && "DATABASE_URL",
].filter(Boolean);

if (missing.length) {
  test("own-origin tests need OWN_API_URL, OWN_API_OUTBOX_DIR, OWN_BA_URL, OWN_BA_OUTBOX_DIR, API_URL and DATABASE_URL", () => {
    assert.fail(
      `missing: ${missing.join(", ")}. Run better-auth-server.mjs with BETTER_AUTH_URL=<its own URL> (no --argon2), ` +
        `EMAIL_OUTBOX_DIR=<dir b> and BETTER_AUTH_OPTIONS='{"rateLimit":{"enabled":true,"storage":"database"}}', and our ` +
        `API with PASSWORD_HASH=scrypt, JWT_ISSUERS=<that server's origin> and EMAIL_OUTBOX_DIR=<dir a>, all on one ` +
        `DATABASE_URL and BETTER_AUTH_SECRET; API_URL is a local-api with the default settings`,
    );
  });
} else {
  const SKIP_TASK_ROUTES = process.env.SKIP_TASK_ROUTES === "1";
  const API_ORIGIN = new URL(OWN_API_URL).origin;
  const BA_ORIGIN = new URL(OWN_BA_URL).origin;
  // Better Auth's own rule for these paths, which it applies once rate limiting is on: 3 per 10 s.
  const baLimit = () => parseRateLimit("3/10");
  // One gate per path: both servers count `ip|path`, so sign-in and sign-up do not share a bucket.
  const side = {
    api: { name: "our API", url: OWN_API_URL, outbox: apiOutbox, jwks: createRemoteJWKSet(new URL(`${OWN_API_URL}/api/auth/jwks`)) },
    ba: { name: "Better Auth", url: OWN_BA_URL, outbox: baOutbox, jwks: createRemoteJWKSet(new URL(`${OWN_BA_URL}/api/auth/jwks`)) },
  };
  for (const [s, limit] of [
    [side.api, () => parseRateLimit()],
    [side.ba, baLimit],
  ])
    Object.assign(s, { signUpGate: new RateGate(limit()), signInGate: new RateGate(limit()), passwordGate: new RateGate(limit()) });
  const mailCall = (label, call) => retryOnceOn429(label, call, { fallbackMs: 61_000 });
  const db = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  test.after(() => db.end());

  // Better Auth's scrypt format: 16 random bytes of salt and a 64-byte key, both hex.
  const SCRYPT_RE = /^[0-9a-f]{32}:[0-9a-f]{128}$/;
  async function passwordHashOf(userId) {
    const { rows } = await db.query(`select "password" from "account" where "userId" = $1 and "providerId" = 'credential'`, [userId]);
    assert.equal(rows.length, 1, `one credential account for user ${userId}`);
    return rows[0].password;
  }
  async function expectScrypt(userId, what) {
    const hash = await passwordHashOf(userId);
    assert.match(hash, SCRYPT_RE, `${what}: the stored hash must be Better Auth's scrypt "salt:key", got ${hash.slice(0, 12)}…`);
  }

  /** A new client on `on`, signed up (with `name`) or in as `email`; returns `{client, jar, token, user}`. */
  async function session(on, email, password, { name, what = `${name ? "sign-up" : "sign-in"} on ${on.name}` } = {}) {
    const c = makeClient(on.url);
    const gate = name ? on.signUpGate : on.signInGate;
    const data = okData(
      await gated(gate, what, (fo) =>
        name ? c.client.signUp.email({ email, password, name, fetchOptions: fo }) : c.client.signIn.email({ email, password, fetchOptions: fo }),
      ),
      what,
    );
    assert.ok(sessionCookie(c.jar), `${what}: no session cookie`);
    assert.match(data.token, ID_RE, `${what}: token`);
    return { ...c, token: data.token, user: data.user };
  }

  /** A client on `on` whose jar holds only `from`'s session cookie (copied over, as a proxy would forward it). */
  function withCookieOf(on, from) {
    const c = makeClient(on.url);
    const cookie = sessionCookie(from.jar);
    assert.ok(cookie, "no session cookie to carry over");
    c.jar.set(cookie.name, cookie.value, on.url);
    return c;
  }

  const sessionOf = async (c, what) => okData(await c.client.getSession(), what);
  const tokenOf = async (c, what) => (await sessionOf(c, what))?.session.token ?? null;

  async function changePassword(on, c, currentPassword, newPassword) {
    const what = `changePassword on ${on.name}`;
    const data = okData(await gated(on.passwordGate, what, (fo) => c.client.changePassword({ currentPassword, newPassword, fetchOptions: fo })), what);
    assert.equal(data.token, null, `${what} without revokeOtherSessions keeps the session`);
    assert.equal(data.user.id, c.user.id);
  }

  /** requestPasswordReset on `on`, the token from its mail, then resetPassword on `on` with it. */
  async function resetPassword(on, c, newPassword) {
    const email = c.user.email;
    const since = on.outbox.mark();
    const what = `requestPasswordReset on ${on.name}`;
    const requested = okData(await mailCall(what, (fo) => c.client.requestPasswordReset({ email, redirectTo: `${ORIGIN}/reset`, fetchOptions: fo })), what);
    assert.equal(requested.status, true, what);
    const [mail] = await on.outbox.waitFor({ to: email, since, what: `${on.name}'s reset mail` });
    checkMailShape(mail, { to: email, what: `${on.name}'s reset mail` });
    const token = resetTokenOf(mail.url);
    const { client } = makeClient(on.url);
    assert.deepEqual(okData(await client.resetPassword({ newPassword, token }), `resetPassword on ${on.name}`), { status: true });
  }

  test(`own origins: our API ${OWN_API_URL} (PASSWORD_HASH=scrypt, JWT_ISSUERS=${BA_ORIGIN}) and Better Auth ${OWN_BA_URL} (no hook)`, async (t) => {
    const emailX = randomEmail("own-api-user").toLowerCase(); // signed up on our API
    const emailY = randomEmail("own-ba-user").toLowerCase(); // signed up on Better Auth
    const pX2 = "X's second password, set on our API";
    const pX3 = "X's third password, reset on our API";
    const pY2 = "Y's second password, set on Better Auth";
    const pY3 = "Y's third password, reset on Better Auth";
    // Sessions: apiX0 = X's sign-up on our API, baX1..3 = X's sign-ins on Better Auth; baY0 = Y's sign-up on
    // Better Auth, apiY1..3 = Y's sign-ins on our API.
    let apiX0, baX1, baX2, baX3, baY0, apiY1, apiY2, apiY3;

    await t.test("a user who signs up on our API (scrypt hash) signs in on Better Auth, which has no verify hook", async () => {
      apiX0 = await session(side.api, emailX, PASSWORD, { name: "Own API User" });
      baX1 = await session(side.ba, emailX, PASSWORD, { what: "BA sign-in of a user our API created" });
      assert.equal(baX1.user.id, apiX0.user.id);
      await expectScrypt(apiX0.user.id, "our sign-up");
    });

    await t.test("a user who signs up on Better Auth signs in on our API", async () => {
      baY0 = await session(side.ba, emailY, PASSWORD, { name: "Own BA User" });
      apiY1 = await session(side.api, emailY, PASSWORD, { what: "our sign-in of a user Better Auth created" });
      assert.equal(apiY1.user.id, baY0.user.id);
    });

    await t.test("a password changed on our API signs in on Better Auth", async () => {
      assert.ok(apiX0, "needs the first step");
      await changePassword(side.api, apiX0, PASSWORD, pX2);
      baX2 = await session(side.ba, emailX, pX2, { what: "BA sign-in with the password our API changed" });
      assert.equal(baX2.user.id, apiX0.user.id);
      await expectScrypt(apiX0.user.id, "our change-password");
    });

    await t.test("a password changed on Better Auth signs in on our API", async () => {
      assert.ok(baY0, "needs the second step");
      await changePassword(side.ba, baY0, PASSWORD, pY2);
      apiY2 = await session(side.api, emailY, pY2, { what: "our sign-in with the password Better Auth changed" });
      assert.equal(apiY2.user.id, baY0.user.id);
    });

    await t.test("a password reset on our API (our mail, our /reset-password) signs in on Better Auth", async () => {
      assert.ok(apiX0, "needs the first step");
      await resetPassword(side.api, apiX0, pX3);
      baX3 = await session(side.ba, emailX, pX3, { what: "BA sign-in with the password our API reset" });
      assert.equal(baX3.user.id, apiX0.user.id);
      await expectScrypt(apiX0.user.id, "our reset-password");
    });

    await t.test("a password reset on Better Auth (its mail, its /reset-password) signs in on our API", async () => {
      assert.ok(baY0, "needs the second step");
      await resetPassword(side.ba, baY0, pY3);
      apiY3 = await session(side.api, emailY, pY3, { what: "our sign-in with the password Better Auth reset" });
      assert.equal(apiY3.user.id, baY0.user.id);
    });

    let baJwt;
    await t.test("a JWT from Better Auth's jwt plugin (iss = aud = its origin) opens our task routes (JWT_ISSUERS)", async (t) => {
      assert.ok(baY0, "needs the second step");
      baJwt = okData(await baY0.client.token(), "BA token()").token;
      const verified = await jwtVerify(baJwt, side.api.jwks, { issuer: BA_ORIGIN, audience: BA_ORIGIN });
      assert.equal(verified.payload.sub, baY0.user.id, "BA JWT verified with our /jwks");
      assert.equal(verified.protectedHeader.alg, "EdDSA");
      if (SKIP_TASK_ROUTES) {
        t.skip("SKIP_TASK_ROUTES=1: OWN_API_URL has no task routes (a stock Better Auth server); the JWT was verified with its /jwks only");
        return;
      }
      const url = `${OWN_API_URL}/api/${encodeURIComponent(baY0.user.id)}/tasks`;
      const headers = { authorization: `Bearer ${baJwt}`, origin: ORIGIN, "content-type": "application/json" };
      const created = await fetch(url, { method: "POST", headers, body: JSON.stringify({ title: "from Better Auth's own JWT" }) });
      assert.equal(created.status, 201, `POST ${url} with Better Auth's JWT: ${created.status} ${await created.clone().text()}`);
      const task = await created.json();
      assert.equal(task.user_id, baY0.user.id);
      const list = await fetch(url, { headers });
      assert.equal(list.status, 200, `GET ${url} with Better Auth's JWT: ${list.status} ${await list.clone().text()}`);
      assert.deepEqual((await list.json()).find((x) => x.id === task.id), task, "the new task is listed");
    });

    await t.test("…and the default local-api (API_URL, no JWT_ISSUERS) refuses that JWT: 401 wrong issuer or audience", async (t) => {
      if (SKIP_TASK_ROUTES) {
        t.skip("SKIP_TASK_ROUTES=1: API_URL has no task routes (a stock Better Auth server)");
        return;
      }
      assert.ok(baJwt, "needs the previous step");
      const url = `${API_URL}/api/${encodeURIComponent(baY0.user.id)}/tasks`;
      const res = await fetch(url, { headers: { authorization: `Bearer ${baJwt}`, origin: ORIGIN } });
      const text = await res.text();
      assert.equal(res.status, 401, `GET ${url} with Better Auth's JWT: ${res.status} ${text}`);
      assert.deepEqual(JSON.parse(text), { detail: "Invalid token: wrong issuer or audience" });
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/i, "401 needs WWW-Authenticate: Bearer");
    });

    await t.test("our JWTs verify against Better Auth's /jwks (one jwks table)", async () => {
      assert.ok(apiX0, "needs the first step");
      const apiJwt = okData(await apiX0.client.token(), "our token()").token;
      const theirs = await jwtVerify(apiJwt, side.ba.jwks, { issuer: API_ORIGIN, audience: API_ORIGIN });
      assert.equal(theirs.payload.sub, apiX0.user.id, "our JWT verified with Better Auth's /jwks");
      assert.equal(theirs.protectedHeader.alg, "EdDSA");
      assert.equal(theirs.payload.exp - theirs.payload.iat, 900);
      t.diagnostic(`kid: ${theirs.protectedHeader.kid}`);
    });

    await t.test("our session cookie is accepted by Better Auth's get-session, and Better Auth's by ours", async () => {
      assert.ok(apiY3 && baX3, "needs the password steps");
      for (const [on, from, user] of [
        [side.ba, apiY3, baY0.user],
        [side.api, baX3, apiX0.user],
      ]) {
        const data = await sessionOf(withCookieOf(on, from), `${on.name}'s get-session with the other side's cookie`);
        assert.ok(data, `${on.name} did not accept the other side's session cookie`);
        assert.equal(data.user.id, user.id);
        assert.equal(data.session.token, splitSessionCookie(sessionCookie(from.jar).value).token);
      }
    });

    await t.test("sign-out on Better Auth ends the session on our API, and sign-out on our API on Better Auth", async () => {
      assert.ok(apiY3 && baX3, "needs the password steps");
      for (const [from, on] of [
        [baX3, side.api],
        [apiY3, side.ba],
      ]) {
        const carried = withCookieOf(on, from);
        assert.equal(await tokenOf(carried, `${on.name}'s get-session before the other side's sign-out`), from.token, "precondition");
        assert.equal(okData(await from.client.signOut(), "signOut").success, true);
        assert.equal(await tokenOf(carried, `${on.name}'s get-session after the other side's sign-out`), null, `${on.name} still accepts a signed-out session`);
      }
    });

    await t.test("revokeSession on our API ends a Better Auth session; on Better Auth, one of ours", async () => {
      assert.ok(apiX0 && baX2 && baY0 && apiY2, "needs the password steps");
      // The callers' sessions survived changePassword (no revokeOtherSessions) and the resets.
      assert.equal(await tokenOf(apiX0, "our get-session (X's sign-up session)"), apiX0.token);
      assert.equal(await tokenOf(baY0, "BA get-session (Y's sign-up session)"), baY0.token);
      assert.deepEqual(okData(await apiX0.client.revokeSession({ token: baX2.token }), "our revokeSession"), { status: true });
      assert.equal(await tokenOf(baX2, "BA get-session of the session our API revoked"), null);
      assert.deepEqual(okData(await baY0.client.revokeSession({ token: apiY2.token }), "BA revokeSession"), { status: true });
      assert.equal(await tokenOf(apiY2, "our get-session of the session Better Auth revoked"), null);
      assert.equal(await tokenOf(apiX0, "our get-session (the caller)"), apiX0.token);
      assert.equal(await tokenOf(baY0, "BA get-session (the caller)"), baY0.token);
      assert.equal(await tokenOf(apiY1, "our get-session of Y's other session"), apiY1.token, "revokeSession ended the wrong session");
      assert.equal(await tokenOf(baX1, "BA get-session of X's other session"), baX1.token, "revokeSession ended the wrong session");
    });

    for (const s of [side.api, side.ba])
      t.diagnostic(`${s.name}: sign-up ${s.signUpGate.calls}, sign-in ${s.signInGate.calls}, change-password ${s.passwordGate.calls} calls`);
  });

  test(`own origins, the shared rateLimit table: our API ${OWN_API_URL} and Better Auth ${OWN_BA_URL}`, async (t) => {
    const LIMITED = { message: "Too many requests. Please try again later." };
    // x-forwarded-for puts Better Auth's requests in the buckets our API keys by its socket's 127.0.0.1 (see the
    // header comment); our API ignores the header when it has the socket's address.
    const post = async (on, path, body) => {
      const res = await fetch(`${on.url}/api/auth${path}`, {
        method: "POST",
        headers: { origin: ORIGIN, "content-type": "application/json", "x-forwarded-for": "127.0.0.1" },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        assert.fail(`POST ${on.url}/api/auth${path} → ${res.status}: body is not JSON: ${JSON.stringify(text)}`);
      }
      return { status: res.status, retryAfter: res.headers.get("x-retry-after"), json };
    };
    const row = async (key) => (await db.query(`select "count", "lastRequest" from "rateLimit" where "key" = $1`, [key])).rows[0];
    const HINT = `(is Better Auth started with BETTER_AUTH_OPTIONS='{"rateLimit":{"enabled":true,"storage":"database"}}'?)`;
    const expectLimited = (r, what) => {
      assert.equal(r.status, 429, `${what}: ${r.status} ${JSON.stringify(r.json)}`);
      assert.deepEqual(r.json, LIMITED, what);
      const after = Number(r.retryAfter);
      assert.ok(Number.isInteger(after) && after >= 0 && after <= 10, `${what}: X-Retry-After ${r.retryAfter}`);
    };
    /** Calls `on` until it answers 429 (at most 4 times: the limit is 3); returns how many were allowed. */
    const fill = async (on, path, body, allowedStatus) => {
      for (let allowed = 0; allowed <= 3; allowed++) {
        const r = await post(on, path, body);
        if (r.status === 429) {
          expectLimited(r, `${on.name} ${path}`);
          return allowed;
        }
        assert.equal(r.status, allowedStatus, `${on.name} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
      }
      assert.fail(`${on.name} ${path}: 4 calls in a row were allowed (the limit is 3 per 10 s)${on === side.ba ? ` ${HINT}` : ""}`);
    };

    await t.test("a /sign-in/email bucket our API filled refuses on Better Auth", async () => {
      const key = "127.0.0.1|/sign-in/email";
      const wrong = { email: randomEmail("own-rate").toLowerCase(), password: "not anybody's password" };
      await fill(side.api, "/sign-in/email", wrong, 401);
      const before = await row(key);
      assert.ok(before, `no "rateLimit" row ${key} after our API refused`);
      assert.equal(Number(before.count), 3, `our row ${key}`);
      expectLimited(await post(side.ba, "/sign-in/email", wrong), `Better Auth's sign-in in the bucket our API filled ${HINT}`);
      const after = await row(key);
      assert.deepEqual([Number(after.count), Number(after.lastRequest)], [3, Number(before.lastRequest)], "a refused call changes nothing");
    });

    await t.test("a /sign-up/email bucket Better Auth filled refuses on our API", async () => {
      const key = "127.0.0.1|/sign-up/email";
      // A too-short password: counted (both check the limit first), refused (400), no user made.
      const short = { email: randomEmail("own-rate").toLowerCase(), password: "short", name: "Rate Limit" };
      const started = Date.now();
      const allowed = await fill(side.ba, "/sign-up/email", short, 400);
      assert.ok(allowed >= 1, "Better Auth refused at once: the bucket was already full, so this step proves nothing; run it later");
      const filled = await row(key);
      assert.ok(filled, `no "rateLimit" row ${key} after Better Auth's sign-ups`);
      assert.equal(Number(filled.count), 3, `Better Auth's row ${key}`);
      assert.ok(Number(filled.lastRequest) >= started, `Better Auth wrote lastRequest ${filled.lastRequest} (ms) into ${key}`);
      expectLimited(await post(side.api, "/sign-up/email", short), "our sign-up in the bucket Better Auth filled");
    });
  });
}
