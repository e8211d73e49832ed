// Coexistence: our Rust API (API_URL) and a real Better Auth server (BA_URL, better-auth-server.mjs) on the
// same database with the same BETTER_AUTH_SECRET. Users, sessions, cookies and JWT keys must work across both.
//
// Env: API_URL, BA_URL (both required), ORIGIN (default http://localhost:3000; must be trusted by both),
//      JWT_ISSUER (iss/aud of our JWTs, default API_URL's origin), BA_JWT_ISSUER (iss/aud of the BA server's
//      JWTs = the origin of ITS BETTER_AUTH_URL; default JWT_ISSUER, because the BA server should be started
//      with our API's public base URL as BETTER_AUTH_URL, as if both served one site; otherwise our API
//      would have to accept a second issuer), BA_ARGON2=1 when the BA server was started
//      with --argon2, SKIP_TASK_ROUTES=1 (only when API_URL is itself a stock Better Auth server),
//      E2E_AUTH_RATE_LIMIT (our API's limit, default "3/10"), E2E_BA_AUTH_RATE_LIMIT (default "off": the BA
//      server limits only with NODE_ENV=production).
// Sign-in/sign-up calls: 3 on our API (BA user's sign-in, a wrong-password sign-in, a sign-up),
// 1 on the BA server (a sign-up), plus 1 more there with BA_ARGON2=1.
//
// Password direction: users created by OUR API get argon2id hashes, which a stock Better Auth server cannot
// verify (it only knows its scrypt "salt:key" format). So "our user signs in on Better Auth" is tested only
// with BA_ARGON2=1, against better-auth-server.mjs --argon2, which plugs @node-rs/argon2 into Better Auth's
// emailAndPassword.password.verify hook. Without it the test is skipped, saying why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRemoteJWKSet, jwtVerify } from "jose";
import {
  ORIGIN,
  PASSWORD,
  baseUrlFromEnv,
  makeClient,
  randomEmail,
  okData,
  expectError,
  sessionCookie,
  splitSessionCookie,
  ID_RE,
} from "./lib/helpers.mjs";
import { RateGate, parseRateLimit } from "./lib/rate-gate.mjs";

const API_URL = baseUrlFromEnv("API_URL");
const BA_URL = baseUrlFromEnv("BA_URL");

if (!API_URL || !BA_URL) {
  test("shared-db tests need API_URL and BA_URL", () => {
    assert.fail(
      `set API_URL (our API) and BA_URL (node better-auth-server.mjs), both on the same DATABASE_URL and ` +
        `BETTER_AUTH_SECRET; missing: ${[!API_URL && "API_URL", !BA_URL && "BA_URL"].filter(Boolean).join(", ")}`,
    );
  });
} else {
  const JWT_ISSUER = process.env.JWT_ISSUER || new URL(API_URL).origin;
  const BA_JWT_ISSUER = process.env.BA_JWT_ISSUER || JWT_ISSUER;
  const SKIP_TASK_ROUTES = process.env.SKIP_TASK_ROUTES === "1";
  const BA_ARGON2 = process.env.BA_ARGON2 === "1";
  const apiGate = new RateGate();
  const baGate = new RateGate(parseRateLimit(process.env.E2E_BA_AUTH_RATE_LIMIT ?? "off"));
  const apiJwks = createRemoteJWKSet(new URL(`${API_URL}/api/auth/jwks`));
  const baJwks = createRemoteJWKSet(new URL(`${BA_URL}/api/auth/jwks`));

  /** A client for `baseURL` whose jar holds only `cookie` (a session cookie taken from another jar). */
  function clientWithCookie(baseURL, cookie) {
    const c = makeClient(baseURL);
    c.jar.set(cookie.name, cookie.value, baseURL);
    return c;
  }

  async function getSessionData(client, what) {
    return okData(await client.getSession(), what);
  }

  test(`shared database: our API ${API_URL} and Better Auth ${BA_URL}`, async (t) => {
    const emailA = randomEmail("ba-user");
    const emailB = randomEmail("api-user");
    const ba = makeClient(BA_URL); // user A's Better Auth session (from sign-up there)
    const api = makeClient(API_URL); // user A's session on our API (from sign-in here)
    const apiB = makeClient(API_URL); // user B's session on our API (from sign-up here)
    let userA, userB;

    await t.test("a user signed up on Better Auth signs in on our API (scrypt hash)", async () => {
      await baGate.take("BA sign-up");
      const up = okData(await ba.client.signUp.email({ email: emailA, password: PASSWORD, name: "BA User" }), "BA sign-up");
      userA = up.user;
      assert.ok(sessionCookie(ba.jar), "BA set no session cookie");
      await apiGate.take("API sign-in");
      const data = okData(await api.client.signIn.email({ email: emailA, password: PASSWORD }), "our sign-in of a BA user");
      assert.equal(data.user.id, userA.id);
      assert.equal(data.user.email, emailA.toLowerCase());
      assert.equal(data.user.createdAt.getTime(), userA.createdAt.getTime(), "same user row");
      assert.match(data.token, ID_RE);
      assert.ok(sessionCookie(api.jar), "our API set no session cookie");
    });

    await t.test("…and a wrong password for that user is refused by our API", async () => {
      const { client } = makeClient(API_URL);
      await apiGate.take("API wrong-password sign-in");
      expectError(
        await client.signIn.email({ email: emailA, password: "not the password" }),
        401,
        "INVALID_EMAIL_OR_PASSWORD",
        "our sign-in with a wrong password",
      );
    });

    await t.test("our session cookie is accepted by Better Auth's get-session", async () => {
      await apiGate.take("API sign-up");
      const up = okData(await apiB.client.signUp.email({ email: emailB, password: PASSWORD, name: "API User" }), "our sign-up");
      userB = up.user;
      for (const [jar, user, what] of [
        [apiB.jar, userB, "a user created by our API"],
        [api.jar, userA, "a BA user signed in on our API"],
      ]) {
        const cookie = sessionCookie(jar);
        const data = await getSessionData(clientWithCookie(BA_URL, cookie).client, `BA get-session (${what})`);
        assert.ok(data, `Better Auth did not accept our session cookie (${what})`);
        assert.equal(data.user.id, user.id, what);
        assert.equal(data.session.token, splitSessionCookie(cookie.value).token, what);
      }
    });

    await t.test("Better Auth's session cookie is accepted by our get-session", async () => {
      const cookie = sessionCookie(ba.jar);
      const data = await getSessionData(clientWithCookie(API_URL, cookie).client, "our get-session with a BA cookie");
      assert.ok(data, "our API did not accept Better Auth's session cookie");
      assert.equal(data.user.id, userA.id);
      assert.equal(data.user.email, emailA.toLowerCase());
      assert.equal(data.session.token, splitSessionCookie(cookie.value).token);
      assert.ok(data.session.expiresAt instanceof Date);
    });

    await t.test("our user (argon2id hash) signs in on Better Auth --argon2", async (t) => {
      if (!BA_ARGON2) {
        t.skip("BA_ARGON2 unset: a stock Better Auth server cannot verify our argon2id hashes (start it with --argon2)");
        return;
      }
      const { client } = makeClient(BA_URL);
      await baGate.take("BA sign-in");
      const data = okData(await client.signIn.email({ email: emailB, password: PASSWORD }), "BA sign-in of our user");
      assert.equal(data.user.id, userB.id);
    });

    let apiJwt, baJwt;
    await t.test("JWTs verify across servers (one jwks table, one key encryption)", async () => {
      // Better Auth mints first: when the table has no key yet, it creates it, and our API must then use it
      // or add its own that both /jwks list.
      baJwt = okData(await ba.client.token(), "BA token()").token;
      apiJwt = okData(await api.client.token(), "our token()").token;
      const ours = await jwtVerify(baJwt, apiJwks, { issuer: BA_JWT_ISSUER, audience: BA_JWT_ISSUER });
      assert.equal(ours.payload.sub, userA.id, "BA JWT verified with our /jwks");
      assert.equal(ours.protectedHeader.alg, "EdDSA");
      const theirs = await jwtVerify(apiJwt, baJwks, { issuer: JWT_ISSUER, audience: JWT_ISSUER });
      assert.equal(theirs.payload.sub, userA.id, "our JWT verified with BA's /jwks");
      assert.equal(theirs.protectedHeader.alg, "EdDSA");
      assert.equal(theirs.payload.exp - theirs.payload.iat, 900);
      // Both lists hold both kids: they read the same table.
      const [apiKeys, baKeys] = await Promise.all(
        [API_URL, BA_URL].map(async (u) => (await (await fetch(`${u}/api/auth/jwks`)).json()).keys.map((k) => k.kid)),
      );
      for (const kid of [ours.protectedHeader.kid, theirs.protectedHeader.kid]) {
        assert.ok(apiKeys.includes(kid), `our /jwks lacks kid ${kid}`);
        assert.ok(baKeys.includes(kid), `BA's /jwks lacks kid ${kid}`);
      }
      // Our API decrypts a private key Better Auth stored (or vice versa) when both sign with one key.
      t.diagnostic(`kids: BA ${ours.protectedHeader.kid}, ours ${theirs.protectedHeader.kid}`);
    });

    await t.test("our task routes accept a JWT minted by Better Auth", async (t) => {
      if (SKIP_TASK_ROUTES) {
        t.skip("SKIP_TASK_ROUTES=1: API_URL has no task routes (a stock Better Auth server)");
        return;
      }
      const url = `${API_URL}/api/${encodeURIComponent(userA.id)}/tasks`;
      const headers = (jwt) => ({ authorization: `Bearer ${jwt}`, origin: ORIGIN, "content-type": "application/json" });
      const created = await fetch(url, { method: "POST", headers: headers(baJwt), body: JSON.stringify({ title: "from a BA JWT" }) });
      assert.equal(created.status, 201, `POST with a BA JWT: ${created.status} ${await created.clone().text()}`);
      const task = await created.json();
      assert.equal(task.user_id, userA.id);
      const list = await fetch(url, { headers: headers(apiJwt) });
      assert.equal(list.status, 200);
      assert.ok((await list.json()).some((x) => x.id === task.id), "the task made with a BA JWT is listed with ours");
      const del = await fetch(`${url}/${task.id}`, { method: "DELETE", headers: headers(baJwt) });
      assert.equal(del.status, 200);
    });

    await t.test("sign-out on Better Auth ends the session on our API", async () => {
      const cookie = sessionCookie(ba.jar);
      const onApi = clientWithCookie(API_URL, cookie).client;
      assert.ok(await getSessionData(onApi, "our get-session before BA sign-out"), "precondition");
      assert.equal(okData(await ba.client.signOut(), "BA sign-out").success, true);
      assert.equal(await getSessionData(onApi, "our get-session after BA sign-out"), null);
      expectError(await onApi.token(), 401, "UNAUTHORIZED", "our token() after BA sign-out");
    });

    await t.test("sign-out on our API ends the session on Better Auth", async () => {
      const cookie = sessionCookie(apiB.jar);
      const onBa = clientWithCookie(BA_URL, cookie).client;
      assert.ok(await getSessionData(onBa, "BA get-session before our sign-out"), "precondition");
      assert.equal(okData(await apiB.client.signOut(), "our sign-out").success, true);
      assert.equal(await getSessionData(onBa, "BA get-session after our sign-out"), null);
      expectError(await onBa.token(), 401, "UNAUTHORIZED", "BA token() after our sign-out");
      // User A's session on our API was not touched by either sign-out.
      assert.ok(await getSessionData(api.client, "our get-session of another session"), "sign-out ended the wrong session");
    });

    t.diagnostic(`sign-in/sign-up calls: ${apiGate.calls} on our API, ${baGate.calls} on Better Auth`);
  });
}
