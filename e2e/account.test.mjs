// Account management, driven by the REAL better-auth client: update-user, change-password, the session list and
// its revocations, session freshness, change-email (links read from the outbox) and delete-user (with the password,
// and through the mailed link).
//
// Env: API_URL (required): the reference options (BETTER_AUTH_OPTIONS unset): update-user, change-password, the
//        sessions, freshness, and the refusals of change-email (CHANGE_EMAIL_DISABLED) and delete-user (404).
//      ACCOUNT_API_URL and ACCOUNT_OUTBOX_DIR (required): a server with
//        BETTER_AUTH_OPTIONS={"user":{"changeEmail":{"enabled":true,"sendChangeEmailConfirmation":true},"deleteUser":{"enabled":true}}}
//        and its outbox: change-email and delete-user with the password.
//      DELETE_API_URL and DELETE_OUTBOX_DIR (required): a server with
//        BETTER_AUTH_OPTIONS={"user":{"deleteUser":{"enabled":true,"sendDeleteAccountVerification":true}}}
//        and its outbox: delete-user through the mailed link.
//      DATABASE_URL (required): the servers' database; the freshness steps move a session's createdAt back, and the
//        deletion steps check that the user's rows (and tasks) are gone.
//      Each server's BETTER_AUTH_URL must be its URL here (the links in the mails point at it); all share one
//      database and secret. ORIGIN (default http://localhost:3000; trusted by all), BETTER_AUTH_SECRET (optional:
//      when set, the change-email JWTs' signatures are checked with it), SKIP_TASK_ROUTES=1 (only when
//      ACCOUNT_API_URL is a stock Better Auth server: skips creating a task before the deletion),
//      E2E_AUTH_RATE_LIMIT (see lib/rate-gate.mjs): the limit of sign-in/sign-up, and of change-password and of
//      change-email (Better Auth gives all four 3 per 10 s, each path its own bucket). One gate per path for all
//      three servers, since servers on one database share their rate-limit rows.
// Calls: sign-in/sign-up 25 (over the three servers), change-password 6, change-email 7, send-verification-email 1.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import pg from "pg";
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
  SESSION_KEYS,
  ID_RE,
  JWT_RE,
} from "./lib/helpers.mjs";
import { parseSetCookie } from "./lib/fetch-with-cookies.mjs";
import { RateGate, gated, retryOnceOn429 } from "./lib/rate-gate.mjs";
import { outboxFromEnv, checkMailShape, verifyTokenOf } from "./lib/outbox.mjs";

const API_URL = baseUrlFromEnv("API_URL");
const ACCOUNT_API_URL = baseUrlFromEnv("ACCOUNT_API_URL");
const DELETE_API_URL = baseUrlFromEnv("DELETE_API_URL");
const accountOutbox = outboxFromEnv("ACCOUNT_OUTBOX_DIR", "ACCOUNT_API_URL");
const deleteOutbox = outboxFromEnv("DELETE_OUTBOX_DIR", "DELETE_API_URL");
const DATABASE_URL = process.env.DATABASE_URL;
const missing = [
  !API_URL && "API_URL",
  !ACCOUNT_API_URL && "ACCOUNT_API_URL",
  !accountOutbox && "ACCOUNT_OUTBOX_DIR",
  !DELETE_API_URL && "DELETE_API_URL",
  !deleteOutbox && "DELETE_OUTBOX_DIR",
  !DATABASE_URL && "DATABASE_URL",
].filter(Boolean);

export const ACCOUNT_OPTIONS = { user: { changeEmail: { enabled: true, sendChangeEmailConfirmation: true }, deleteUser: { enabled: true } } };
export const DELETE_OPTIONS = { user: { deleteUser: { enabled: true, sendDeleteAccountVerification: true } } };
const USER_KEYS = ["createdAt", "email", "emailVerified", "id", "image", "name", "updatedAt"];
/** The cookies Better Auth expires (Max-Age=0) when it ends the caller's session. */
const CLEARED_COOKIES = ["better-auth.dont_remember", "better-auth.session_data", "better-auth.session_token"];
const WEEK_S = 7 * 24 * 3600;
const DELETE_TOKEN_RE = /^[0-9a-z]{32}$/;

if (missing.length) {
  test("account tests need API_URL, ACCOUNT_API_URL, ACCOUNT_OUTBOX_DIR, DELETE_API_URL, DELETE_OUTBOX_DIR and DATABASE_URL", () => {
    assert.fail(
      `missing: ${missing.join(", ")}. Start our API (API_URL), a second one with BETTER_AUTH_OPTIONS='${JSON.stringify(ACCOUNT_OPTIONS)}' ` +
        `and EMAIL_OUTBOX_DIR (ACCOUNT_API_URL, ACCOUNT_OUTBOX_DIR), a third with BETTER_AUTH_OPTIONS='${JSON.stringify(DELETE_OPTIONS)}' ` +
        `and EMAIL_OUTBOX_DIR (DELETE_API_URL, DELETE_OUTBOX_DIR), all on DATABASE_URL; see README.md`,
    );
  });
} else {
  const SKIP_TASK_ROUTES = process.env.SKIP_TASK_ROUTES === "1";
  const gate = new RateGate(); // sign-in and sign-up
  const passwordGate = new RateGate(); // change-password
  const emailGate = new RateGate(); // change-email
  const mailCall = (label, call) => retryOnceOn429(label, call, { fallbackMs: 61_000 });
  const db = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  after(() => db.end());

  const signUp = (c, email, what, { password = PASSWORD, name = "Account Tester" } = {}) =>
    gated(gate, what, (fo) => c.client.signUp.email({ email, password, name, fetchOptions: fo }));
  const signIn = (c, email, password, what) => gated(gate, what, (fo) => c.client.signIn.email({ email, password, fetchOptions: fo }));

  /** A new client for `baseURL`, signed up as a new user; returns `{client, jar, user, email, token}`. */
  async function newUser(baseURL, tag, what = `sign-up (${tag})`) {
    const c = makeClient(baseURL);
    const email = randomEmail(tag);
    const data = okData(await signUp(c, email, what), what);
    assert.ok(sessionCookie(c.jar), `${what}: no session cookie`);
    return { ...c, user: data.user, email: email.toLowerCase(), token: data.token };
  }

  /** A new client for `baseURL` signed in as `email` (a second session of that user). */
  async function newSession(baseURL, email, what, password = PASSWORD) {
    const c = makeClient(baseURL);
    const data = okData(await signIn(c, email, password, what), what);
    return { ...c, token: data.token };
  }

  /** The raw session token in a jar's session cookie (undefined when there is none). */
  const tokenIn = (jar) => {
    const c = sessionCookie(jar);
    return c && splitSessionCookie(c.value).token;
  };

  /** Runs `fn` and returns its result and the Set-Cookie headers the jar received meanwhile, parsed. */
  async function withSetCookies(jar, fn) {
    const before = jar.received.length;
    const result = await fn();
    return { result, cookies: jar.received.slice(before).map((r) => parseSetCookie(r.header)) };
  }

  function assertClearedCookies(cookies, what) {
    assert.deepEqual(
      cookies.map((c) => c.name).sort(),
      CLEARED_COOKIES,
      `${what}: Better Auth expires session_token, session_data and dont_remember; got ${JSON.stringify(cookies.map((c) => c.raw.replace(/=[^;]*/, "=…")))}`,
    );
    for (const c of cookies) {
      assert.equal(c.value, "", `${what}: ${c.name} must be emptied`);
      assert.equal(c.attributes["max-age"], "0", `${what}: ${c.name} needs Max-Age=0`);
    }
  }

  /** Asserts that a response re-set exactly the session cookie, carrying `token`, for a week. */
  function assertSessionCookieSet(cookies, token, what) {
    assert.deepEqual(cookies.map((c) => c.name), ["better-auth.session_token"], `${what}: exactly one Set-Cookie, the session token`);
    const [c] = cookies;
    assert.equal(splitSessionCookie(c.value).token, token, `${what}: the cookie's session token`);
    assert.equal(c.attributes["max-age"], String(WEEK_S), `${what}: Max-Age is session.expiresIn (7 days)`);
    assert.equal(c.attributes.httponly, true, `${what}: HttpOnly`);
    assert.equal(c.attributes.path, "/", `${what}: Path=/`);
  }

  /** GET a mailed link without following the redirect; `jar` (optional) supplies the cookies, as a browser would. */
  async function openLink(url, jar) {
    const headers = {};
    const cookie = jar?.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    const res = await fetch(url, { redirect: "manual", headers });
    const text = await res.text();
    return { status: res.status, location: res.headers.get("location"), setCookies: res.headers.getSetCookie().map(parseSetCookie), text };
  }

  const bodyOf = (link) => {
    try {
      return JSON.parse(link.text);
    } catch {
      return link.text;
    }
  };

  /** Checks a change-email JWT as Better Auth 1.7.25 mints it: HS256, {email, updateTo, requestType, userId, iat, exp}. */
  async function checkChangeEmailJwt(t, token, { email, updateTo, requestType, userId }, what) {
    assert.match(token, JWT_RE, `${what}: not a JWT`);
    assert.deepEqual(decodeProtectedHeader(token), { alg: "HS256" }, `${what}: protected header`);
    const claims = decodeJwt(token);
    assert.deepEqual(Object.keys(claims).sort(), ["email", "exp", "iat", "requestType", "updateTo", "userId"], `${what}: claims`);
    assert.equal(claims.email, email, `${what}: email (the current address)`);
    assert.equal(claims.updateTo, updateTo, `${what}: updateTo (the new address)`);
    assert.equal(claims.requestType, requestType, `${what}: requestType`);
    assert.equal(claims.userId, userId, `${what}: userId`);
    assert.equal(claims.exp - claims.iat, 3600, `${what}: lifetime (emailVerification.expiresIn, 3600 s)`);
    assert.ok(Math.abs(claims.iat - Date.now() / 1000) < 120, `${what}: iat is not now`);
    if (process.env.BETTER_AUTH_SECRET) {
      await jwtVerify(token, new TextEncoder().encode(process.env.BETTER_AUTH_SECRET), { algorithms: ["HS256"] });
    } else t.diagnostic(`${what}: signature not checked (BETTER_AUTH_SECRET unset)`);
  }

  /** Moves the session's createdAt back by `interval` (a PostgreSQL interval). */
  async function ageSession(token, interval) {
    const r = await db.query(`update "session" set "createdAt" = "createdAt" - $2::interval where "token" = $1`, [token, interval]);
    assert.equal(r.rowCount, 1, `no session row with that token to age`);
  }

  /** Counts of the user's rows: user, account, session (and task, when `tasks`). */
  async function rowsOf(userId, { tasks = false } = {}) {
    const one = async (sql) => Number((await db.query(sql, [userId])).rows[0].n);
    return {
      user: await one(`select count(*) as n from "user" where "id" = $1`),
      account: await one(`select count(*) as n from "account" where "userId" = $1`),
      session: await one(`select count(*) as n from "session" where "userId" = $1`),
      ...(tasks ? { task: await one(`select count(*) as n from task where user_id = $1`) } : {}),
    };
  }

  let referenceUser; // one signed-in user on API_URL for the refusals, made on first use
  const onReference = async () => (referenceUser ??= await newUser(API_URL, "reference"));

  test(`update-user against ${API_URL}`, async (t) => {
    const a = await newUser(API_URL, "update");
    const name = "Renamed Tester";
    const image = "https://images.example.com/avatar.png";

    await t.test("updateUser({name, image}) answers {status:true} and re-sets the session cookie (same session, 7 days)", async () => {
      const before = tokenIn(a.jar);
      const { result, cookies } = await withSetCookies(a.jar, () => a.client.updateUser({ name, image }));
      assert.deepEqual(okData(result, "updateUser"), { status: true });
      assertSessionCookieSet(cookies, before, "update-user");
    });

    await t.test("getSession and the JWT show the new name and image", async () => {
      const data = okData(await a.client.getSession(), "getSession");
      assert.ok(data, "getSession returned null after update-user");
      assert.equal(data.user.name, name);
      assert.equal(data.user.image, image);
      assert.equal(data.user.email, a.email, "the email is untouched");
      assert.equal(data.session.token, a.token, "the same session");
      assert.ok(data.user.updatedAt.getTime() > a.user.updatedAt.getTime(), "updatedAt moved forward");
      const claims = decodeJwt(okData(await a.client.token(), "token()").token);
      assert.equal(claims.name, name, "the JWT's name claim");
    });

    await t.test("updateUser({image:null}) removes the image", async () => {
      assert.deepEqual(okData(await a.client.updateUser({ image: null }), "updateUser({image:null})"), { status: true });
      const data = okData(await a.client.getSession(), "getSession");
      assert.equal(data.user.image, null);
      assert.equal(data.user.name, name, "the name is kept");
    });

    await t.test("updateUser({email}) → 400 EMAIL_CAN_NOT_BE_UPDATED, and nothing changes", async () => {
      expectError(await a.client.updateUser({ email: randomEmail("other"), name: "Not Applied" }), 400, "EMAIL_CAN_NOT_BE_UPDATED", "updateUser({email})");
      const data = okData(await a.client.getSession(), "getSession");
      assert.equal(data.user.email, a.email);
      assert.equal(data.user.name, name, "the name given with the email must not be applied");
    });

    await t.test("no fields (or only unknown ones) → 400 {message:\"No fields to update\"}, with no code", async () => {
      // The client sends an empty argument as a GET (its proxy POSTs only when there is a body), which finds no route.
      expectError(await a.client.updateUser({}), 404, undefined, "updateUser({}) (sent as GET /update-user)");
      for (const [body, what] of [
        [{}, "updateUser({}) as a POST"],
        [{ nickname: "not a field" }, "updateUser({nickname})"],
      ]) {
        const r = await a.client.updateUser(body, { method: "POST" });
        expectError(r, 400, undefined, what);
        assert.equal(r.error.message, "No fields to update", what);
        assert.equal(r.error.code, undefined, `${what}: Better Auth sends no code here`);
      }
    });

    await t.test("without a session → 401 UNAUTHORIZED", async () => {
      expectError(await makeClient(API_URL).client.updateUser({ name: "Nobody" }), 401, "UNAUTHORIZED", "updateUser signed out");
    });
  });

  test(`change-password against ${API_URL}`, async (t) => {
    const a = await newUser(API_URL, "password");
    const b = await newSession(API_URL, a.email, "sign-in (a second session)");
    const signUpCookie = sessionCookie(a.jar);
    const second = "a second password, set without revoking";
    const third = "a third password, set revoking the others";
    const changePassword = (c, body, what) => gated(passwordGate, what, (fo) => c.client.changePassword({ ...body, fetchOptions: fo }));

    await t.test("a wrong currentPassword → 400 INVALID_PASSWORD", async () => {
      expectError(await changePassword(a, { currentPassword: "not the password at all", newPassword: second }, "change-password (wrong current)"), 400, "INVALID_PASSWORD", "changePassword with a wrong currentPassword");
    });

    await t.test("a too-short newPassword → 400 PASSWORD_TOO_SHORT (checked before the current password)", async () => {
      expectError(await changePassword(a, { currentPassword: PASSWORD, newPassword: "short" }, "change-password (short)"), 400, "PASSWORD_TOO_SHORT", "changePassword to a 5-character password");
      expectError(await changePassword(a, { currentPassword: "wrong", newPassword: "short" }, "change-password (short, wrong current)"), 400, "PASSWORD_TOO_SHORT", "a short new password with a wrong current one");
    });

    await t.test("without revokeOtherSessions: {token:null, user}, no cookie, and the other session survives", async () => {
      const { result, cookies } = await withSetCookies(a.jar, () => changePassword(a, { currentPassword: PASSWORD, newPassword: second }, "change-password (keep sessions)"));
      const data = okData(result, "changePassword");
      assert.deepEqual(Object.keys(data).sort(), ["token", "user"]);
      assert.equal(data.token, null);
      assert.deepEqual(Object.keys(data.user).sort(), USER_KEYS, "the user's keys");
      assert.equal(data.user.id, a.user.id);
      assert.equal(data.user.email, a.email);
      assert.deepEqual(cookies, [], "no Set-Cookie");
      assert.equal(okData(await a.client.getSession(), "getSession (caller)")?.session.token, a.token, "the caller's session is unchanged");
      assert.equal(okData(await b.client.getSession(), "getSession (other)")?.session.token, b.token, "the other session survives");
    });

    let newToken;
    await t.test("revokeOtherSessions:true: a new token and user, the caller keeps a new cookie, every other session is gone", async () => {
      const { result, cookies } = await withSetCookies(a.jar, () =>
        changePassword(a, { currentPassword: second, newPassword: third, revokeOtherSessions: true }, "change-password (revoke others)"),
      );
      const data = okData(result, "changePassword({revokeOtherSessions:true})");
      assert.match(data.token ?? "", ID_RE, "token must be the new session's");
      assert.notEqual(data.token, a.token, "a new session, not the old one");
      assert.equal(data.user.id, a.user.id);
      assert.deepEqual(Object.keys(data.user).sort(), USER_KEYS, "the user's keys");
      assertSessionCookieSet(cookies, data.token, "change-password's new cookie");
      newToken = data.token;
      const mine = okData(await a.client.getSession(), "getSession (caller)");
      assert.ok(mine, "the caller was signed out");
      assert.equal(mine.session.token, newToken, "the caller's cookie carries the new session");
      assert.equal(okData(await b.client.getSession(), "getSession (other)"), null, "the other session must be revoked");
      // The caller's OLD session is one of the revoked ones too (Better Auth deletes them all, then creates one).
      const replay = makeClient(API_URL);
      replay.jar.set(signUpCookie.name, signUpCookie.value, API_URL);
      assert.equal(okData(await replay.client.getSession(), "getSession with the sign-up cookie"), null, "the caller's old session must be gone");
    });

    await t.test("sign-in: the previous password is refused, the new one works", async () => {
      expectError(await signIn(makeClient(API_URL), a.email, second, "sign-in (previous password)"), 401, "INVALID_EMAIL_OR_PASSWORD", "sign-in with the previous password");
      const ok = okData(await signIn(makeClient(API_URL), a.email, third, "sign-in (new password)"), "sign-in with the new password");
      assert.equal(ok.user.id, a.user.id);
    });

    await t.test("without a session → 401 UNAUTHORIZED", async () => {
      expectError(await changePassword(makeClient(API_URL), { currentPassword: third, newPassword: "whatever it is now" }, "change-password (signed out)"), 401, "UNAUTHORIZED", "changePassword signed out");
    });

    t.diagnostic(`change-password calls: ${passwordGate.calls}`);
  });

  test(`sessions against ${API_URL}: list-sessions, revoke-session, revoke-other-sessions, revoke-sessions`, async (t) => {
    const a = await newUser(API_URL, "sessions");
    const b = await newSession(API_URL, a.email, "sign-in (session b)");
    const c = await newSession(API_URL, a.email, "sign-in (session c)");
    const d = await newSession(API_URL, a.email, "sign-in (session d)");
    const other = await newUser(API_URL, "sessions-other", "sign-up (another user)");
    const list = async (what) => {
      const data = okData(await a.client.listSessions(), what);
      assert.ok(Array.isArray(data), `${what}: not an array: ${JSON.stringify(data)}`);
      return data;
    };
    const alive = async (x, what) => okData(await x.client.getSession(), what)?.session.token ?? null;

    await t.test("listSessions() lists every active session of the user, each with its token, keys in Better Auth's order", async () => {
      const sessions = await list("listSessions");
      assert.deepEqual(sessions.map((s) => s.token).sort(), [a.token, b.token, c.token, d.token].sort(), "the four sessions, and no one else's");
      for (const s of sessions) {
        assert.deepEqual(Object.keys(s), SESSION_KEYS, "a session's keys, in order");
        assert.equal(s.userId, a.user.id);
        assert.match(s.id, ID_RE);
        assert.match(s.token, ID_RE);
        for (const k of ["expiresAt", "createdAt", "updatedAt"]) assert.ok(s[k] instanceof Date, `${k} was not revived as a Date (ISO string expected)`);
        const ahead = s.expiresAt.getTime() - Date.now();
        assert.ok(Math.abs(ahead - WEEK_S * 1000) < 5 * 60_000, `expiresAt is ${ahead / 86_400_000} days ahead, not 7`);
        assert.ok(Math.abs(s.createdAt.getTime() - Date.now()) < 120_000, "createdAt is not now");
        assert.ok(s.ipAddress === null || typeof s.ipAddress === "string", `ipAddress: ${JSON.stringify(s.ipAddress)}`);
        assert.equal(s.userAgent, "node", "userAgent is the request's User-Agent (Node's fetch sends `node`)");
      }
    });

    await t.test("revokeSession({token}) of another session of mine → {status:true}; it is gone, mine is not, no cookie", async () => {
      const { result, cookies } = await withSetCookies(a.jar, () => a.client.revokeSession({ token: b.token }));
      assert.deepEqual(okData(result, "revokeSession"), { status: true });
      assert.deepEqual(cookies, [], "revoking another session sets no cookie");
      assert.equal(await alive(b, "getSession (b)"), null, "session b must be gone");
      assert.equal(await alive(a, "getSession (a)"), a.token);
      assert.deepEqual((await list("listSessions")).map((s) => s.token).sort(), [a.token, c.token, d.token].sort());
    });

    await t.test("revokeSession with ANOTHER user's token → {status:true}, and that session survives", async () => {
      assert.deepEqual(okData(await a.client.revokeSession({ token: other.token }), "revokeSession (someone else's)"), { status: true });
      assert.equal(await alive(other, "getSession (the other user)"), other.token, "another user's session must not be revoked");
      assert.deepEqual(okData(await a.client.revokeSession({ token: "A".repeat(32) }), "revokeSession (unknown token)"), { status: true });
    });

    await t.test("revokeSession of the caller's own token ends it and expires the caller's cookies", async () => {
      const { result, cookies } = await withSetCookies(d.jar, () => d.client.revokeSession({ token: d.token }));
      assert.deepEqual(okData(result, "revokeSession (own)"), { status: true });
      assertClearedCookies(cookies, "revoke-session of the current session");
      assert.equal(sessionCookie(d.jar), undefined);
      assert.deepEqual((await list("listSessions")).map((s) => s.token).sort(), [a.token, c.token].sort());
    });

    await t.test("revokeOtherSessions() → {status:true}; only the current session remains", async () => {
      const { result, cookies } = await withSetCookies(a.jar, () => a.client.revokeOtherSessions());
      assert.deepEqual(okData(result, "revokeOtherSessions"), { status: true });
      assert.deepEqual(cookies, [], "no cookie");
      assert.equal(await alive(c, "getSession (c)"), null, "session c must be gone");
      assert.deepEqual((await list("listSessions")).map((s) => s.token), [a.token]);
      assert.equal(await alive(other, "getSession (the other user)"), other.token, "another user's sessions are not touched");
    });

    await t.test("revokeSessions() → {status:true}; the current session is gone too and the cookies are expired", async () => {
      const before = sessionCookie(a.jar);
      const { result, cookies } = await withSetCookies(a.jar, () => a.client.revokeSessions());
      assert.deepEqual(okData(result, "revokeSessions"), { status: true });
      assertClearedCookies(cookies, "revoke-sessions");
      assert.equal(await alive(a, "getSession after revokeSessions"), null);
      const replay = makeClient(API_URL);
      replay.jar.set(before.name, before.value, API_URL);
      assert.equal(await alive(replay, "getSession with the old cookie"), null, "the session row must be gone");
      expectError(await replay.client.listSessions(), 401, "UNAUTHORIZED", "listSessions with the old cookie");
    });

    await t.test("every route here without a session → 401 UNAUTHORIZED", async () => {
      const anon = makeClient(API_URL).client;
      expectError(await anon.listSessions(), 401, "UNAUTHORIZED", "listSessions signed out");
      expectError(await anon.revokeSession({ token: other.token }), 401, "UNAUTHORIZED", "revokeSession signed out");
      expectError(await anon.revokeOtherSessions(), 401, "UNAUTHORIZED", "revokeOtherSessions signed out");
      expectError(await anon.revokeSessions(), 401, "UNAUTHORIZED", "revokeSessions signed out");
      assert.equal(await alive(other, "getSession (the other user)"), other.token);
    });
  });

  test(`session freshness against ${API_URL} (session.freshAge, 1 day, by the session's createdAt)`, async (t) => {
    const a = await newUser(API_URL, "fresh");

    await t.test("a session created 23 h 59 min ago is still fresh: listSessions works", async () => {
      await ageSession(a.token, "23 hours 59 minutes");
      assert.deepEqual(okData(await a.client.listSessions(), "listSessions (almost a day old)").map((s) => s.token), [a.token]);
    });

    await t.test("a session created more than a day ago → listSessions 403 SESSION_NOT_FRESH", async () => {
      await ageSession(a.token, "2 minutes");
      expectError(await a.client.listSessions(), 403, "SESSION_NOT_FRESH", "listSessions with a stale session");
    });

    await t.test("…but the stale session still works: getSession, updateUser, revokeOtherSessions (fresh is only for list-sessions)", async () => {
      const data = okData(await a.client.getSession(), "getSession (stale)");
      assert.equal(data?.session.token, a.token, "a stale session is still a session");
      assert.ok(Date.now() - data.session.createdAt.getTime() > 24 * 3600 * 1000, "getSession shows the moved createdAt");
      assert.deepEqual(okData(await a.client.updateUser({ name: "Stale But Fine" }), "updateUser (stale)"), { status: true });
      assert.deepEqual(okData(await a.client.revokeOtherSessions(), "revokeOtherSessions (stale)"), { status: true });
    });

    await t.test("a new sign-in is fresh, and its list shows the stale session too", async () => {
      const fresh = await newSession(API_URL, a.email, "sign-in (fresh)");
      assert.deepEqual(okData(await fresh.client.listSessions(), "listSessions (fresh)").map((s) => s.token).sort(), [a.token, fresh.token].sort());
    });
  });

  test(`change-email against ${ACCOUNT_API_URL} (${JSON.stringify(ACCOUNT_OPTIONS)}, outbox ${accountOutbox.dir})`, async (t) => {
    const a = await newUser(ACCOUNT_API_URL, "change");
    const callbackURL = `${ORIGIN}/email-changed`;
    const changeEmail = (c, body, what) => gated(emailGate, what, (fo) => c.client.changeEmail({ ...body, fetchOptions: fo }));
    const linkOf = (token) => `${ACCOUNT_API_URL}/api/auth/verify-email?token=${token}&callbackURL=${encodeURIComponent(callbackURL)}`;
    const emailNow = async (what) => okData(await a.client.getSession(), what).user;
    let current = a.email; // the user's address as the steps change it
    let confirmationLink;

    await t.test("an unverified user: changeEmail → {status:true} and the verification link goes straight to the NEW address; opening it changes the email", async (t) => {
      const next = randomEmail("unverified-new").toLowerCase();
      const since = accountOutbox.mark();
      assert.deepEqual(okData(await changeEmail(a, { newEmail: next, callbackURL }, "change-email (unverified)"), "changeEmail (unverified)"), { status: true });
      const [mail] = await accountOutbox.waitFor({ to: next, since, what: "the verification mail to the new address" });
      checkMailShape(mail, { to: next, what: "the verification mail" });
      await accountOutbox.expectNone({ to: current, since, waitMs: 0, what: "an unverified user's change-email mails the old address nothing" });
      const token = verifyTokenOf(mail.url);
      assert.equal(mail.url, linkOf(token));
      await checkChangeEmailJwt(t, token, { email: current, updateTo: next, requestType: "change-email-verification", userId: a.user.id }, "the verification JWT");
      assert.equal((await emailNow("getSession before the link")).email, current, "nothing changes before the link is opened");
      const link = await openLink(mail.url);
      assert.equal(link.status, 302, `GET the link: ${link.status} ${link.text}`);
      assert.equal(link.location, callbackURL);
      assert.deepEqual(link.setCookies, [], "opened without a session: no cookie");
      const user = await emailNow("getSession after the link");
      assert.equal(user.email, next);
      assert.equal(user.emailVerified, false, "emailVerified is kept as it was (false)");
      current = next;
    });

    await t.test("the user verifies the address: sendVerificationEmail, then the mailed link", async () => {
      const since = accountOutbox.mark();
      const data = okData(await mailCall("sendVerificationEmail", (fo) => a.client.sendVerificationEmail({ email: current, callbackURL, fetchOptions: fo })), "sendVerificationEmail");
      assert.deepEqual(data, { status: true });
      const [mail] = await accountOutbox.waitFor({ to: current, since, what: "the verification mail" });
      const link = await openLink(mail.url);
      assert.equal(link.status, 302, `GET the verification link: ${link.status} ${link.text}`);
      assert.equal(link.location, callbackURL);
      assert.equal((await emailNow("getSession after verifying")).emailVerified, true);
    });

    await t.test("the same email → 400 {message:\"Email is the same\"} (compared lower-cased), with no code", async () => {
      for (const newEmail of [current, current.toUpperCase()]) {
        const r = await changeEmail(a, { newEmail, callbackURL }, "change-email (same)");
        expectError(r, 400, undefined, `changeEmail(${newEmail === current ? "the same" : "the same, upper-cased"})`);
        assert.equal(r.error.message, "Email is the same");
        assert.equal(r.error.code, undefined, "Better Auth sends no code here");
      }
    });

    await t.test("an email another user has → {status:true} and no mail to anyone (enumeration-safe)", async () => {
      const taken = await newUser(ACCOUNT_API_URL, "taken", "sign-up (the address's owner)");
      const since = accountOutbox.mark();
      assert.deepEqual(okData(await changeEmail(a, { newEmail: taken.email, callbackURL }, "change-email (taken)"), "changeEmail to a taken address"), { status: true });
      await accountOutbox.expectNone({ to: taken.email, since, what: "change-email to a taken address" });
      await accountOutbox.expectNone({ to: current, since, waitMs: 0, what: "change-email to a taken address (the old address)" });
      assert.equal((await emailNow("getSession")).email, current, "the email is unchanged");
    });

    const next = randomEmail("verified-new").toLowerCase();
    await t.test("a verified user: changeEmail → {status:true}, no cookie, and a confirmation link goes to the OLD address", async (t) => {
      const since = accountOutbox.mark();
      const { result, cookies } = await withSetCookies(a.jar, () => changeEmail(a, { newEmail: next.toUpperCase(), callbackURL }, "change-email (verified)"));
      assert.deepEqual(okData(result, "changeEmail (verified)"), { status: true });
      assert.deepEqual(cookies, [], "no Set-Cookie");
      const [mail] = await accountOutbox.waitFor({ to: current, since, what: "the confirmation mail to the old address" });
      checkMailShape(mail, { to: current, what: "the confirmation mail" });
      await accountOutbox.expectNone({ to: next, since, waitMs: 0, what: "nothing goes to the new address yet" });
      const token = verifyTokenOf(mail.url);
      assert.equal(mail.url, linkOf(token));
      await checkChangeEmailJwt(t, token, { email: current, updateTo: next, requestType: "change-email-confirmation", userId: a.user.id }, "the confirmation JWT");
      assert.equal((await emailNow("getSession")).email, current, "nothing changes before the links are opened");
      confirmationLink = mail.url;
    });

    let verificationLink;
    await t.test("opening the confirmation link → 302 callbackURL, no cookie, and a verification link goes to the NEW address", async (t) => {
      const since = accountOutbox.mark();
      const link = await openLink(confirmationLink);
      assert.equal(link.status, 302, `GET the confirmation link: ${link.status} ${link.text}`);
      assert.equal(link.location, callbackURL);
      assert.deepEqual(link.setCookies, [], "no cookie");
      const [mail] = await accountOutbox.waitFor({ to: next, since, what: "the verification mail to the new address" });
      checkMailShape(mail, { to: next, what: "the verification mail" });
      const token = verifyTokenOf(mail.url);
      assert.equal(mail.url, linkOf(token));
      await checkChangeEmailJwt(t, token, { email: current, updateTo: next, requestType: "change-email-verification", userId: a.user.id }, "the verification JWT");
      assert.equal((await emailNow("getSession")).email, current, "still the old address until the second link");
      verificationLink = mail.url;
    });

    await t.test("opening the verification link → 302 callbackURL; getSession shows the new email, still verified", async () => {
      const link = await openLink(verificationLink);
      assert.equal(link.status, 302, `GET the verification link: ${link.status} ${link.text}`);
      assert.equal(link.location, callbackURL);
      assert.deepEqual(link.setCookies, [], "no cookie");
      const user = await emailNow("getSession after the change");
      assert.equal(user.email, next);
      assert.equal(user.emailVerified, true, "emailVerified is kept (true)");
      assert.equal(user.id, a.user.id);
    });

    await t.test("the spent links no longer match the user's email: 302 callbackURL?error=INVALID_TOKEN", async () => {
      for (const [url, what] of [
        [confirmationLink, "the confirmation link"],
        [verificationLink, "the verification link"],
      ]) {
        const link = await openLink(url);
        assert.equal(link.status, 302, what);
        assert.equal(link.location, `${callbackURL}?error=INVALID_TOKEN`, what);
      }
    });

    await t.test("sign-in works with the new email and not with the old one", async () => {
      expectError(await signIn(makeClient(ACCOUNT_API_URL), current, PASSWORD, "sign-in (old email)"), 401, "INVALID_EMAIL_OR_PASSWORD", "sign-in with the old email");
      assert.equal(okData(await signIn(makeClient(ACCOUNT_API_URL), next, PASSWORD, "sign-in (new email)"), "sign-in with the new email").user.id, a.user.id);
    });

    await t.test("without a session → 401 UNAUTHORIZED", async () => {
      expectError(await changeEmail(makeClient(ACCOUNT_API_URL), { newEmail: randomEmail("anon") }, "change-email (signed out)"), 401, "UNAUTHORIZED", "changeEmail signed out");
    });

    await t.test(`on ${API_URL} (user.changeEmail unset) → 400 CHANGE_EMAIL_DISABLED`, async () => {
      const ref = await onReference();
      expectError(await changeEmail(ref, { newEmail: randomEmail("disabled"), callbackURL }, "change-email (reference)"), 400, "CHANGE_EMAIL_DISABLED", "changeEmail on the reference API");
    });

    t.diagnostic(`change-email calls: ${emailGate.calls}`);
  });

  test(`delete-user with the password against ${ACCOUNT_API_URL} (${JSON.stringify(ACCOUNT_OPTIONS)})`, async (t) => {
    const a = await newUser(ACCOUNT_API_URL, "delete");
    const b = await newSession(ACCOUNT_API_URL, a.email, "sign-in (a second session)");
    let task;

    await t.test("a task of the user's, made with a JWT from token()", async (t) => {
      if (SKIP_TASK_ROUTES) {
        t.skip("SKIP_TASK_ROUTES=1: the server under test has no task routes (a stock Better Auth server); the deletion steps still run");
        return;
      }
      const jwt = okData(await a.client.token(), "token()").token;
      const res = await fetch(`${ACCOUNT_API_URL}/api/${encodeURIComponent(a.user.id)}/tasks`, {
        method: "POST",
        headers: { authorization: `Bearer ${jwt}`, origin: ORIGIN, "content-type": "application/json" },
        body: JSON.stringify({ title: "gone with the account" }),
      });
      assert.equal(res.status, 201, `POST tasks: ${res.status} ${await res.clone().text()}`);
      task = { ...(await res.json()), jwt };
      assert.equal((await rowsOf(a.user.id, { tasks: true })).task, 1);
    });

    await t.test("a wrong password → 400 INVALID_PASSWORD, and nothing is deleted", async () => {
      expectError(await a.client.deleteUser({ password: "not the password at all" }), 400, "INVALID_PASSWORD", "deleteUser with a wrong password");
      assert.equal(okData(await a.client.getSession(), "getSession")?.user.id, a.user.id);
    });

    await t.test("deleteUser({password}) → {success:true, message:\"User deleted\"}, and the cookies are expired", async () => {
      const { result, cookies } = await withSetCookies(a.jar, () => a.client.deleteUser({ password: PASSWORD }));
      assert.deepEqual(okData(result, "deleteUser"), { success: true, message: "User deleted" });
      assertClearedCookies(cookies, "delete-user");
      assert.equal(sessionCookie(a.jar), undefined);
    });

    await t.test("the user is gone: no session (this one or the other), no sign-in, no rows", async () => {
      assert.equal(okData(await a.client.getSession(), "getSession after deletion"), null);
      assert.equal(okData(await b.client.getSession(), "getSession of the other session"), null, "every session of the user must be gone");
      expectError(await signIn(makeClient(ACCOUNT_API_URL), a.email, PASSWORD, "sign-in (deleted user)"), 401, "INVALID_EMAIL_OR_PASSWORD", "sign-in of a deleted user");
      assert.deepEqual(await rowsOf(a.user.id), { user: 0, account: 0, session: 0 }, "the user's rows");
    });

    await t.test("…and so are the user's tasks", async (t) => {
      if (SKIP_TASK_ROUTES) {
        t.skip("SKIP_TASK_ROUTES=1: no task routes, so no task was made (a stock Better Auth server)");
        return;
      }
      assert.equal((await rowsOf(a.user.id, { tasks: true })).task, 0, "task rows of the deleted user");
      // The JWT outlives the user (15 min, stateless); whatever our API answers, the task must not be in it.
      const res = await fetch(`${ACCOUNT_API_URL}/api/${encodeURIComponent(a.user.id)}/tasks`, { headers: { authorization: `Bearer ${task.jwt}` } });
      const body = await res.text();
      t.diagnostic(`GET tasks with the deleted user's JWT: ${res.status} ${body}`);
      if (res.status === 200) assert.deepEqual(JSON.parse(body), [], "the task list must be empty");
      else assert.ok([401, 403, 404].includes(res.status), `GET tasks after deletion: ${res.status} ${body}`);
    });

    await t.test("without a password, a session older than a day → 400 SESSION_EXPIRED; a fresh one deletes", async () => {
      const w = await newUser(ACCOUNT_API_URL, "delete-stale");
      await ageSession(w.token, "1 day 1 minute");
      expectError(await w.client.deleteUser(), 400, "SESSION_EXPIRED", "deleteUser() with a stale session");
      assert.equal((await rowsOf(w.user.id)).user, 1, "the user must still exist");
      const fresh = await newSession(ACCOUNT_API_URL, w.email, "sign-in (fresh, to delete)");
      assert.deepEqual(okData(await fresh.client.deleteUser(), "deleteUser() with a fresh session"), { success: true, message: "User deleted" });
      assert.deepEqual(await rowsOf(w.user.id), { user: 0, account: 0, session: 0 });
    });

    await t.test("without a session → 401 UNAUTHORIZED", async () => {
      expectError(await makeClient(ACCOUNT_API_URL).client.deleteUser({ password: PASSWORD }), 401, "UNAUTHORIZED", "deleteUser signed out");
    });

    await t.test(`on ${API_URL} (user.deleteUser unset) → 404, and the user stays`, async () => {
      const ref = await onReference();
      expectError(await ref.client.deleteUser({ password: PASSWORD }), 404, undefined, "deleteUser on the reference API");
      assert.equal(okData(await ref.client.getSession(), "getSession")?.user.id, ref.user.id);
    });
  });

  test(`delete-user through the mailed link against ${DELETE_API_URL} (${JSON.stringify(DELETE_OPTIONS)}, outbox ${deleteOutbox.dir})`, async (t) => {
    const a = await newUser(DELETE_API_URL, "delete-mail");
    const callbackURL = `${ORIGIN}/goodbye`;
    const linkOf = (token, cb = callbackURL) => `${DELETE_API_URL}/api/auth/delete-user/callback?token=${token}&callbackURL=${encodeURIComponent(cb)}`;
    let link, passwordLink;

    await t.test("deleteUser({callbackURL}) → {success:true, message:\"Verification email sent\"}, a mail with the link, and the user stays", async () => {
      const since = deleteOutbox.mark();
      assert.deepEqual(okData(await a.client.deleteUser({ callbackURL }), "deleteUser({callbackURL})"), { success: true, message: "Verification email sent" });
      const [mail] = await deleteOutbox.waitFor({ to: a.email, since, what: "the deletion mail" });
      checkMailShape(mail, { to: a.email, what: "the deletion mail" });
      const token = new URL(mail.url).searchParams.get("token");
      assert.match(token ?? "", DELETE_TOKEN_RE, "the token is 32 digits and lower-case letters");
      assert.equal(mail.url, linkOf(token));
      link = mail.url;
      assert.equal(okData(await a.client.getSession(), "getSession")?.user.id, a.user.id, "nothing is deleted before the link");
    });

    await t.test("with the password as well, it still mails a link (callbackURL defaults to /) instead of deleting", async () => {
      const since = deleteOutbox.mark();
      assert.deepEqual(okData(await a.client.deleteUser({ password: PASSWORD }), "deleteUser({password})"), { success: true, message: "Verification email sent" });
      const [mail] = await deleteOutbox.waitFor({ to: a.email, since, what: "the second deletion mail" });
      assert.equal(mail.url, linkOf(new URL(mail.url).searchParams.get("token"), "/"));
      passwordLink = mail.url;
      assert.equal((await rowsOf(a.user.id)).user, 1);
    });

    await t.test("an untrusted callbackURL → 403 INVALID_CALLBACK_URL", async () => {
      expectError(await a.client.deleteUser({ callbackURL: "http://evil.example/goodbye" }), 403, "INVALID_CALLBACK_URL", "deleteUser with an untrusted callbackURL");
    });

    await t.test("the link without the session cookie → 404 FAILED_TO_GET_USER_INFO; with a wrong token → 404 INVALID_TOKEN", async () => {
      const anon = await openLink(link);
      assert.equal(anon.status, 404, `the link without a cookie: ${anon.status} ${anon.text}`);
      assert.equal(bodyOf(anon).code, "FAILED_TO_GET_USER_INFO", anon.text);
      const wrong = await openLink(linkOf("0".repeat(32)), a.jar);
      assert.equal(wrong.status, 404, `a wrong token: ${wrong.status} ${wrong.text}`);
      assert.equal(bodyOf(wrong).code, "INVALID_TOKEN", wrong.text);
      assert.equal((await rowsOf(a.user.id)).user, 1, "the user must still exist");
    });

    await t.test("the link opened with the session cookie → 302 callbackURL, the cookies are expired, and the user is gone", async () => {
      const res = await openLink(link, a.jar);
      assert.equal(res.status, 302, `the link with the cookie: ${res.status} ${res.text}`);
      assert.equal(res.location, callbackURL);
      assertClearedCookies(res.setCookies, "delete-user/callback");
      assert.equal(okData(await a.client.getSession(), "getSession after deletion"), null);
      assert.deepEqual(await rowsOf(a.user.id), { user: 0, account: 0, session: 0 });
      expectError(await signIn(makeClient(DELETE_API_URL), a.email, PASSWORD, "sign-in (deleted user)"), 401, "INVALID_EMAIL_OR_PASSWORD", "sign-in of a deleted user");
      const late = await openLink(passwordLink, a.jar);
      assert.equal(late.status, 404, `the second link after the deletion: ${late.status} ${late.text}`);
    });

    await t.test("deleteUser({token}) with the mailed token deletes too", async () => {
      const b = await newUser(DELETE_API_URL, "delete-token");
      const since = deleteOutbox.mark();
      okData(await b.client.deleteUser({}), "deleteUser()");
      const [mail] = await deleteOutbox.waitFor({ to: b.email, since, what: "the deletion mail" });
      const token = new URL(mail.url).searchParams.get("token");
      const { result, cookies } = await withSetCookies(b.jar, () => b.client.deleteUser({ token }));
      assert.deepEqual(okData(result, "deleteUser({token})"), { success: true, message: "User deleted" });
      assertClearedCookies(cookies, "delete-user with the token");
      assert.deepEqual(await rowsOf(b.user.id), { user: 0, account: 0, session: 0 });
    });
  });

  test("rate-limited calls made", (t) => {
    t.diagnostic(
      `sign-in/sign-up ${gate.calls}, change-password ${passwordGate.calls}, change-email ${emailGate.calls}; ` +
        `waited ${((gate.waitedMs + passwordGate.waitedMs + emailGate.waitedMs) / 1000).toFixed(1)} s for the rate limits`,
    );
  });
}
