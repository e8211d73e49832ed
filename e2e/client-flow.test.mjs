// The frontend's whole auth + tasks flow, driven by the REAL better-auth client against API_URL.
//
// Env: API_URL (required, e.g. http://127.0.0.1:8000), ORIGIN (default http://localhost:3000),
//      JWT_ISSUER (default: API_URL's origin), SKIP_TASK_ROUTES=1 (only to run the auth steps against a
//      stock Better Auth server, which has no task routes), E2E_AUTH_RATE_LIMIT (see lib/rate-gate.mjs).
// Sign-in/sign-up calls: 4 (sign-up, sign-in, wrong-password sign-in, duplicate sign-up); with the
// default limit of 3 per 10 s the 4th waits for the window to pass.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from "jose";
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
  JWT_RE,
  ID_RE,
} from "./lib/helpers.mjs";
import { RateGate } from "./lib/rate-gate.mjs";

const API_URL = baseUrlFromEnv("API_URL");

if (!API_URL) {
  test("client flow needs API_URL", () => {
    assert.fail("API_URL is not set: start the API (e.g. local-api on :8000) and run with API_URL=http://127.0.0.1:8000");
  });
} else {
  const JWT_ISSUER = process.env.JWT_ISSUER || new URL(API_URL).origin;
  const SKIP_TASK_ROUTES = process.env.SKIP_TASK_ROUTES === "1";
  const DAY = 24 * 3600 * 1000;
  const gate = new RateGate();
  const jwks = createRemoteJWKSet(new URL(`${API_URL}/api/auth/jwks`));

  async function verifyJwt(token, user, what) {
    assert.match(token, JWT_RE, `${what}: not a JWT`);
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: JWT_ISSUER, audience: JWT_ISSUER });
    assert.equal(protectedHeader.alg, "EdDSA", what);
    assert.equal(typeof protectedHeader.kid, "string", `${what}: kid`);
    assert.ok(protectedHeader.kid.length > 0, `${what}: empty kid`);
    assert.equal(protectedHeader.typ, undefined, `${what}: typ must be absent`);
    assert.equal(payload.sub, user.id, `${what}: sub`);
    assert.equal(payload.exp - payload.iat, 900, `${what}: lifetime`);
    assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 120, `${what}: iat is not now`);
    assert.equal(payload.id, user.id, `${what}: id claim`);
    assert.equal(payload.email, user.email, `${what}: email claim`);
    assert.equal(payload.name, user.name, `${what}: name claim`);
    assert.equal(payload.emailVerified, user.emailVerified, `${what}: emailVerified claim`);
    return { payload, protectedHeader };
  }

  test(`client flow against ${API_URL}`, async (t) => {
    const { client, jar } = makeClient(API_URL);
    const email = randomEmail("flow");
    const name = "Flow Tester";
    let user; // from sign-up
    let signInToken;
    let jwt;

    await t.test("1. sign-up sets a session cookie and returns the new user", async () => {
      await gate.take("sign-up");
      const data = okData(await client.signUp.email({ email, password: PASSWORD, name }), "signUp.email");
      user = data.user;
      assert.equal(user.email, email.toLowerCase());
      assert.equal(user.name, name);
      assert.equal(user.emailVerified, false);
      assert.equal(user.image ?? null, null);
      assert.match(user.id, ID_RE);
      assert.ok(user.createdAt instanceof Date, "createdAt was not revived as a Date (ISO string expected)");
      assert.ok(user.updatedAt instanceof Date, "updatedAt was not revived as a Date");
      assert.ok(Math.abs(user.createdAt.getTime() - Date.now()) < 120_000, "createdAt is not now");
      assert.match(data.token, ID_RE);
      assert.ok(!("redirect" in data), "sign-up has no redirect key");
      const cookie = sessionCookie(jar);
      assert.ok(cookie, `no session cookie was set; jar: ${JSON.stringify(jar.toJSON())}`);
      assert.equal(splitSessionCookie(cookie.value).token, data.token, "cookie carries the body's token");
      assert.ok(cookie.httpOnly, "session cookie must be HttpOnly");
    });

    await t.test("2. sign-in returns a token and redirect:false", async () => {
      await gate.take("sign-in");
      const data = okData(await client.signIn.email({ email, password: PASSWORD }), "signIn.email");
      assert.match(data.token, ID_RE);
      assert.equal(data.redirect, false);
      assert.equal(data.user.id, user.id);
      assert.equal(data.user.email, email.toLowerCase());
      assert.ok(data.user.createdAt instanceof Date);
      signInToken = data.token;
      assert.equal(splitSessionCookie(sessionCookie(jar).value).token, signInToken, "cookie now holds the sign-in session");
    });

    await t.test("3. getSession returns session + user and a set-auth-jwt header", async () => {
      let headerJwt = null;
      let exposed = null;
      const res = await client.getSession({
        fetchOptions: {
          onSuccess(ctx) {
            headerJwt = ctx.response.headers.get("set-auth-jwt");
            exposed = ctx.response.headers.get("access-control-expose-headers");
          },
        },
      });
      const data = okData(res, "getSession");
      assert.ok(data, "getSession returned null with a fresh session cookie");
      assert.ok(data.session && data.user);
      assert.equal(data.user.id, user.id);
      assert.equal(data.user.email, email.toLowerCase());
      assert.equal(data.session.userId, user.id);
      assert.equal(data.session.token, signInToken);
      assert.ok(data.session.expiresAt instanceof Date, "session.expiresAt is not a Date");
      const ahead = data.session.expiresAt.getTime() - Date.now();
      assert.ok(Math.abs(ahead - 7 * DAY) < 5 * 60_000, `expiresAt is ${ahead / DAY} days ahead, not 7`);
      assert.ok(headerJwt, "no set-auth-jwt header on get-session");
      assert.match(exposed ?? "", /set-auth-jwt/i, "access-control-expose-headers should list set-auth-jwt");
      await verifyJwt(headerJwt, data.user, "set-auth-jwt");
    });

    await t.test("4. token() returns an EdDSA JWT that verifies against /jwks", async () => {
      const data = okData(await client.token(), "token");
      jwt = data.token;
      const { protectedHeader } = await verifyJwt(jwt, user, "token()");
      assert.deepEqual(decodeProtectedHeader(jwt), protectedHeader);
      const keys = okData(await client.jwks(), "jwks").keys;
      const key = keys.find((k) => k.kid === protectedHeader.kid);
      assert.ok(key, "the JWT's kid is not in /jwks");
      assert.equal(key.kty, "OKP");
      assert.equal(key.crv, "Ed25519");
      assert.equal(key.alg, "EdDSA");
      assert.equal(key.d, undefined, "/jwks must not leak the private key");
    });

    await t.test("5. task routes with the JWT as Bearer", async (t) => {
      if (SKIP_TASK_ROUTES) {
        t.skip("SKIP_TASK_ROUTES=1: the server under test has no task routes (a stock Better Auth server)");
        return;
      }
      const base = `${API_URL}/api/${encodeURIComponent(user.id)}/tasks`;
      const call = async (method, url, body, { token = jwt } = {}) => {
        const headers = { origin: ORIGIN };
        if (token) headers.authorization = `Bearer ${token}`;
        if (body !== undefined) headers["content-type"] = "application/json";
        const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await res.text();
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          assert.fail(`${method} ${url} → ${res.status}: body is not JSON: ${JSON.stringify(text)}`);
        }
        return { status: res.status, headers: res.headers, json };
      };
      const expectStatus = (r, status, what) =>
        assert.equal(r.status, status, `${what}: ${r.status} ${JSON.stringify(r.json)}`);
      const expectDetail = (r, status, what) => {
        expectStatus(r, status, what);
        assert.equal(typeof r.json?.detail, "string", `${what}: {detail} expected, got ${JSON.stringify(r.json)}`);
        assert.match(r.headers.get("content-type") ?? "", /^application\/json/, `${what}: content-type`);
      };
      const TASK_KEYS = ["completed", "created_at", "description", "id", "title", "updated_at", "user_id"];
      const isTask = (task, what) => {
        assert.deepEqual(Object.keys(task).sort(), TASK_KEYS, `${what}: task keys`);
        assert.ok(Number.isInteger(task.id), `${what}: id must be an integer`);
        assert.equal(task.user_id, user.id, `${what}: user_id`);
        assert.equal(typeof task.completed, "boolean");
        for (const k of ["created_at", "updated_at"])
          assert.ok(!Number.isNaN(Date.parse(task[k])), `${what}: ${k} is not a date: ${task[k]}`);
      };

      const created = await call("POST", base, { title: "write e2e tests", description: "with the real client" });
      expectStatus(created, 201, "POST tasks");
      const task = created.json;
      isTask(task, "POST tasks");
      assert.equal(task.title, "write e2e tests");
      assert.equal(task.description, "with the real client");
      assert.equal(task.completed, false);
      const one = `${base}/${task.id}`;

      const list = await call("GET", base);
      expectStatus(list, 200, "GET tasks");
      assert.ok(Array.isArray(list.json), "GET tasks must return an array");
      assert.deepEqual(list.json.find((x) => x.id === task.id), task, "the list contains the new task");

      const got = await call("GET", one);
      expectStatus(got, 200, "GET task");
      assert.deepEqual(got.json, task);

      const put = await call("PUT", one, { title: "renamed", completed: true });
      expectStatus(put, 200, "PUT task");
      isTask(put.json, "PUT task");
      assert.equal(put.json.id, task.id);
      assert.equal(put.json.title, "renamed");
      assert.equal(put.json.completed, true);
      assert.ok(Date.parse(put.json.updated_at) >= Date.parse(task.updated_at), "updated_at moved back");

      const patched = await call("PATCH", `${one}/complete`);
      expectStatus(patched, 200, "PATCH complete");
      isTask(patched.json, "PATCH complete");
      assert.equal(patched.json.completed, false, "PATCH /complete toggles completed (true → false)");
      assert.equal(patched.json.title, "renamed");

      const deleted = await call("DELETE", one);
      expectStatus(deleted, 200, "DELETE task");
      isTask(deleted.json, "DELETE task");
      assert.equal(deleted.json.id, task.id);
      assert.equal(deleted.json.title, "renamed");

      expectDetail(await call("GET", one), 404, "GET deleted task");
      const other = `${API_URL}/api/${"x".repeat(32)}/tasks`;
      expectDetail(await call("GET", other), 403, "GET another user's tasks");
      expectDetail(await call("POST", other, { title: "not mine" }), 403, "POST to another user's tasks");
      const anon = await call("GET", base, undefined, { token: null });
      expectDetail(anon, 401, "GET tasks without a token");
      assert.match(anon.headers.get("www-authenticate") ?? "", /^Bearer/i, "401 needs WWW-Authenticate: Bearer");
    });

    await t.test("6. sign-out ends the session", async () => {
      const before = sessionCookie(jar);
      const data = okData(await client.signOut(), "signOut");
      assert.equal(data.success, true);
      assert.equal(sessionCookie(jar), undefined, "sign-out must clear the session cookie (Max-Age=0)");
      assert.equal(okData(await client.getSession(), "getSession after sign-out"), null);
      expectError(await client.token(), 401, undefined, "token() after sign-out");
      // The old cookie, replayed, must not work either: the session row is gone.
      jar.set(before.name, before.value, API_URL);
      assert.equal(okData(await client.getSession(), "getSession with the old cookie"), null);
      expectError(await client.token(), 401, "UNAUTHORIZED", "token() with the old cookie");
    });

    await t.test("wrong password → 401 INVALID_EMAIL_OR_PASSWORD", async () => {
      const { client: anon } = makeClient(API_URL);
      await gate.take("wrong-password sign-in");
      const res = await anon.signIn.email({ email, password: "wrong password 123" });
      expectError(res, 401, "INVALID_EMAIL_OR_PASSWORD", "sign-in with a wrong password");
    });

    await t.test("duplicate sign-up → 422 USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", async () => {
      const { client: anon } = makeClient(API_URL);
      await gate.take("duplicate sign-up");
      const res = await anon.signUp.email({ email: email.toLowerCase(), password: PASSWORD, name });
      expectError(res, 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "duplicate sign-up");
    });

    t.diagnostic(`sign-in/sign-up calls: ${gate.calls}; waited ${(gate.waitedMs / 1000).toFixed(1)} s for the rate limit`);
  });
}
