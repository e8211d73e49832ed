// Account management ACROSS servers: our Rust API (API_URL) and a real Better Auth server (BA_URL,
// better-auth-server.mjs) on one database with one BETTER_AUTH_SECRET. A password one side changes signs in on the
// other, and a session one side revokes (revoke-session, revoke-other-sessions, revoke-sessions, change-password's
// revokeOtherSessions) is gone on the other: both read the same `account` and `session` rows.
//
// Env: API_URL, BA_URL (both required), ORIGIN (default http://localhost:3000; trusted by both), BA_ARGON2=1 when
//      the BA server runs with --argon2 (only then can it check a password our API hashed: argon2id),
//      E2E_AUTH_RATE_LIMIT / E2E_BA_AUTH_RATE_LIMIT as in shared-db.test.mjs (also used for change-password, which
//      Better Auth limits like sign-in: 3 per 10 s).
// Calls: sign-in/sign-up 7 on our API, 4 on Better Auth (5 with BA_ARGON2=1); change-password 1 on each.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, baseUrlFromEnv, makeClient, randomEmail, okData, expectError, sessionCookie, SESSION_KEYS, ID_RE } from "./lib/helpers.mjs";
import { RateGate, parseRateLimit, gated } from "./lib/rate-gate.mjs";

const API_URL = baseUrlFromEnv("API_URL");
const BA_URL = baseUrlFromEnv("BA_URL");

if (!API_URL || !BA_URL) {
  test("shared-db account tests need API_URL and BA_URL", () => {
    assert.fail(
      `set API_URL (our API) and BA_URL (node better-auth-server.mjs), both on the same DATABASE_URL and ` +
        `BETTER_AUTH_SECRET; missing: ${[!API_URL && "API_URL", !BA_URL && "BA_URL"].filter(Boolean).join(", ")}`,
    );
  });
} else {
  const BA_ARGON2 = process.env.BA_ARGON2 === "1";
  const baLimit = () => parseRateLimit(process.env.E2E_BA_AUTH_RATE_LIMIT ?? "off");
  const side = {
    api: { name: "our API", url: API_URL, gate: new RateGate(), passwordGate: new RateGate() },
    ba: { name: "Better Auth", url: BA_URL, gate: new RateGate(baLimit()), passwordGate: new RateGate(baLimit()) },
  };

  /** A new client on `on`, signed in (or up, with `name`) as `email`; returns `{client, jar, token, user}`. */
  async function session(on, email, password, { name, what = `${name ? "sign-up" : "sign-in"} on ${on.name}` } = {}) {
    const c = makeClient(on.url);
    const data = okData(
      await gated(on.gate, what, (fo) =>
        name ? c.client.signUp.email({ email, password, name, fetchOptions: fo }) : c.client.signIn.email({ email, password, fetchOptions: fo }),
      ),
      what,
    );
    assert.ok(sessionCookie(c.jar), `${what}: no session cookie`);
    return { ...c, token: data.token, user: data.user };
  }

  async function refusedSignIn(on, email, password, what) {
    const c = makeClient(on.url);
    expectError(await gated(on.gate, what, (fo) => c.client.signIn.email({ email, password, fetchOptions: fo })), 401, "INVALID_EMAIL_OR_PASSWORD", what);
  }

  /** A client on `baseURL` whose jar holds only `jar`'s session cookie (the other side's session). */
  function withCookieOf(baseURL, jar) {
    const c = makeClient(baseURL);
    const cookie = sessionCookie(jar);
    assert.ok(cookie, "no session cookie to carry over");
    c.jar.set(cookie.name, cookie.value, baseURL);
    return c;
  }

  const tokenOf = async (c, what) => okData(await c.client.getSession(), what)?.session.token ?? null;

  const changePassword = (on, c, body, what) => gated(on.passwordGate, what, (fo) => c.client.changePassword({ ...body, fetchOptions: fo }));

  test(`shared database, passwords: our API ${API_URL} and Better Auth ${BA_URL}`, async (t) => {
    const email = randomEmail("ba-password").toLowerCase();
    const p2 = "second password, set on Better Auth";
    const p3 = "third password, set on our API";
    let ba, api, user;

    await t.test("Better Auth's change-password (revokeOtherSessions) ends the user's session on our API; the new password signs in on our API", async () => {
      ba = await session(side.ba, email, PASSWORD, { name: "BA Password" });
      user = ba.user;
      api = await session(side.api, email, PASSWORD);
      const data = okData(await changePassword(side.ba, ba, { currentPassword: PASSWORD, newPassword: p2, revokeOtherSessions: true }, "BA change-password"), "BA changePassword");
      assert.match(data.token ?? "", ID_RE);
      assert.equal(await tokenOf(api, "our getSession of the session Better Auth revoked"), null, "Better Auth's change-password must end the session on our API");
      assert.equal(await tokenOf(withCookieOf(API_URL, ba.jar), "our getSession with Better Auth's new cookie"), data.token, "our API accepts the session Better Auth issued");
      await refusedSignIn(side.api, email, PASSWORD, "our sign-in with the password before the change");
      api = await session(side.api, email, p2, { what: "our sign-in with the password Better Auth set (scrypt)" });
      assert.equal(api.user.id, user.id);
    });

    await t.test("our change-password (revokeOtherSessions) ends the user's session on Better Auth; the new password signs in on our API", async () => {
      assert.ok(api, "needs the previous step");
      const data = okData(await changePassword(side.api, api, { currentPassword: p2, newPassword: p3, revokeOtherSessions: true }, "our change-password"), "our changePassword");
      assert.match(data.token ?? "", ID_RE);
      assert.equal(data.user.id, user.id);
      assert.equal(await tokenOf(ba, "BA getSession of the session our API revoked"), null, "our change-password must end the session on Better Auth");
      assert.equal(await tokenOf(withCookieOf(BA_URL, api.jar), "BA getSession with our new cookie"), data.token, "Better Auth accepts the session our API issued");
      await refusedSignIn(side.api, email, p2, "our sign-in with the password before our change");
      assert.equal((await session(side.api, email, p3, { what: "our sign-in with the password we set" })).user.id, user.id);
    });

    await t.test("…and that password signs in on Better Auth --argon2", async (t) => {
      if (!BA_ARGON2) {
        t.skip("BA_ARGON2 unset: our API hashed the new password with argon2id, which a stock Better Auth server cannot verify (start it with --argon2)");
        return;
      }
      assert.ok(api, "needs the previous steps");
      assert.equal((await session(side.ba, email, p3, { what: "BA sign-in with the password our API set" })).user.id, user.id);
    });

    t.diagnostic(`sign-in/sign-up calls: ${side.api.gate.calls} on our API, ${side.ba.gate.calls} on Better Auth`);
  });

  test(`shared database, sessions: our API ${API_URL} and Better Auth ${BA_URL}`, async (t) => {
    const email = randomEmail("ba-sessions").toLowerCase();
    let ba1, ba2, api1, api2;

    await t.test("each side's listSessions lists the sessions both sides made, keys in Better Auth's order", async () => {
      ba1 = await session(side.ba, email, PASSWORD, { name: "BA Sessions" });
      api1 = await session(side.api, email, PASSWORD);
      api2 = await session(side.api, email, PASSWORD);
      ba2 = await session(side.ba, email, PASSWORD);
      const all = [ba1, api1, api2, ba2].map((c) => c.token).sort();
      for (const [on, c] of [
        [side.api, api1],
        [side.ba, ba2],
      ]) {
        const list = okData(await c.client.listSessions(), `${on.name}'s listSessions`);
        assert.deepEqual(list.map((s) => s.token).sort(), all, `${on.name} lists every session of the user`);
        for (const s of list) assert.deepEqual(Object.keys(s), SESSION_KEYS, `${on.name}: a session's keys, in order`);
      }
    });

    await t.test("our revokeSession ends a Better Auth session; Better Auth's revokeSession ends one of ours", async () => {
      assert.deepEqual(okData(await api1.client.revokeSession({ token: ba1.token }), "our revokeSession"), { status: true });
      assert.equal(await tokenOf(ba1, "BA getSession of the session we revoked"), null);
      assert.deepEqual(okData(await ba2.client.revokeSession({ token: api2.token }), "BA revokeSession"), { status: true });
      assert.equal(await tokenOf(api2, "our getSession of the session Better Auth revoked"), null);
      assert.equal(await tokenOf(api1, "our getSession (the caller)"), api1.token);
      assert.equal(await tokenOf(ba2, "BA getSession (the caller)"), ba2.token);
    });

    await t.test("our revokeOtherSessions ends the Better Auth sessions; Better Auth's ends ours", async () => {
      assert.deepEqual(okData(await api1.client.revokeOtherSessions(), "our revokeOtherSessions"), { status: true });
      assert.equal(await tokenOf(ba2, "BA getSession after our revokeOtherSessions"), null);
      assert.equal(await tokenOf(api1, "our getSession (the caller)"), api1.token);
      const ba3 = await session(side.ba, email, PASSWORD);
      assert.deepEqual(okData(await ba3.client.revokeOtherSessions(), "BA revokeOtherSessions"), { status: true });
      assert.equal(await tokenOf(api1, "our getSession after Better Auth's revokeOtherSessions"), null);
      assert.equal(await tokenOf(ba3, "BA getSession (the caller)"), ba3.token);
      // revoke-sessions, called on our API with the Better Auth session's cookie, ends it on Better Auth.
      const carried = withCookieOf(API_URL, ba3.jar);
      assert.deepEqual(okData(await carried.client.revokeSessions(), "our revokeSessions with Better Auth's cookie"), { status: true });
      assert.equal(sessionCookie(carried.jar), undefined, "our revoke-sessions expires the cookie");
      assert.equal(await tokenOf(ba3, "BA getSession after our revokeSessions"), null);
    });

    t.diagnostic(`sign-in/sign-up calls: ${side.api.gate.calls} on our API, ${side.ba.gate.calls} on Better Auth`);
  });
}
