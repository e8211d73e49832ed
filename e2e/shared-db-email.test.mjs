// Forgot password and email verification ACROSS servers: our Rust API (API_URL) and a real Better Auth server
// (BA_URL, better-auth-server.mjs) on one database with one BETTER_AUTH_SECRET, each writing its mails to its own
// outbox. A reset token lives in the shared `verification` table, so either side can spend the other's; a
// verification link is a JWT signed with the shared secret, so either side can verify the other's.
//
// Env: API_URL, BA_URL, EMAIL_OUTBOX_DIR (our API's outbox), BA_OUTBOX_DIR (the BA server's outbox: start it with
//      EMAIL_OUTBOX_DIR=<that dir>): all required. ORIGIN (default http://localhost:3000; trusted by both),
//      BA_ARGON2=1 when the BA server runs with --argon2 (only then can it check a password our API hashed),
//      E2E_AUTH_RATE_LIMIT / E2E_BA_AUTH_RATE_LIMIT as in shared-db.test.mjs.
// Neither server needs requireEmailVerification: send-verification-email works whenever a mailer is configured.
// Calls: sign-in/sign-up 4 on our API, 2 on Better Auth (3 with BA_ARGON2=1); request-password-reset and
// send-verification-email 1 each per server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ORIGIN, PASSWORD, baseUrlFromEnv, makeClient, randomEmail, okData, expectError, sessionCookie } from "./lib/helpers.mjs";
import { RateGate, parseRateLimit, gated, retryOnceOn429 } from "./lib/rate-gate.mjs";
import { outboxFromEnv, checkMailShape, resetTokenOf, verifyTokenOf } from "./lib/outbox.mjs";

const API_URL = baseUrlFromEnv("API_URL");
const BA_URL = baseUrlFromEnv("BA_URL");
const apiOutbox = outboxFromEnv("EMAIL_OUTBOX_DIR", "our API");
const baOutbox = outboxFromEnv("BA_OUTBOX_DIR", "Better Auth");
const missing = [!API_URL && "API_URL", !BA_URL && "BA_URL", !apiOutbox && "EMAIL_OUTBOX_DIR", !baOutbox && "BA_OUTBOX_DIR"].filter(Boolean);

if (missing.length) {
  test("shared-db email tests need API_URL, BA_URL, EMAIL_OUTBOX_DIR and BA_OUTBOX_DIR", () => {
    assert.fail(
      `missing: ${missing.join(", ")}. Run our API with EMAIL_OUTBOX_DIR=<dir a> and better-auth-server.mjs with ` +
        `EMAIL_OUTBOX_DIR=<dir b>, both on the same DATABASE_URL and BETTER_AUTH_SECRET, and pass EMAIL_OUTBOX_DIR=<dir a> ` +
        `BA_OUTBOX_DIR=<dir b> to the test`,
    );
  });
} else {
  const BA_ARGON2 = process.env.BA_ARGON2 === "1";
  const apiGate = new RateGate();
  const baGate = new RateGate(parseRateLimit(process.env.E2E_BA_AUTH_RATE_LIMIT ?? "off"));
  const mailCall = (label, call) => retryOnceOn429(label, call, { fallbackMs: 61_000 });
  const redirectTo = `${ORIGIN}/reset`;
  const side = {
    api: { name: "our API", url: API_URL, outbox: apiOutbox, gate: apiGate },
    ba: { name: "Better Auth", url: BA_URL, outbox: baOutbox, gate: baGate },
  };

  /** Requests a reset on `from` and returns the token from the mail it wrote. */
  async function resetTokenFrom(from, client, email) {
    const since = from.outbox.mark();
    const data = okData(
      await mailCall(`requestPasswordReset on ${from.name}`, (fo) => client.requestPasswordReset({ email, redirectTo, fetchOptions: fo })),
      `requestPasswordReset on ${from.name}`,
    );
    assert.equal(data.status, true);
    const [mail] = await from.outbox.waitFor({ to: email, since, what: `${from.name}'s reset mail` });
    checkMailShape(mail, { to: email, what: `${from.name}'s reset mail` });
    return resetTokenOf(mail.url);
  }

  /** Asks `from` for a verification mail and returns the JWT in it. */
  async function verificationTokenFrom(from, client, email) {
    const since = from.outbox.mark();
    const data = okData(
      await mailCall(`sendVerificationEmail on ${from.name}`, (fo) => client.sendVerificationEmail({ email, fetchOptions: fo })),
      `sendVerificationEmail on ${from.name}`,
    );
    assert.deepEqual(data, { status: true });
    const [mail] = await from.outbox.waitFor({ to: email, since, what: `${from.name}'s verification mail` });
    checkMailShape(mail, { to: email, what: `${from.name}'s verification mail` });
    return verifyTokenOf(mail.url);
  }

  async function expectRedirectWithToken(on, token) {
    const res = await fetch(`${on.url}/api/auth/reset-password/${token}?callbackURL=${encodeURIComponent(redirectTo)}`, { redirect: "manual" });
    await res.arrayBuffer();
    assert.equal(res.status, 302, `${on.name}'s GET /reset-password/:token`);
    assert.equal(res.headers.get("location"), `${redirectTo}?token=${token}`, `${on.name} must find the other side's reset row`);
  }

  async function signInWorks(on, email, password, what) {
    const c = makeClient(on.url);
    const data = okData(await gated(on.gate, `sign-in on ${on.name}`, (fo) => c.client.signIn.email({ email, password, fetchOptions: fo })), what);
    assert.ok(sessionCookie(c.jar), `${what}: no session cookie`);
    return data;
  }

  test(`shared database, mails: our API ${API_URL} (outbox ${apiOutbox.dir}) and Better Auth ${BA_URL} (outbox ${baOutbox.dir})`, async (t) => {
    const emailA = randomEmail("ba-reset"); // signed up on Better Auth
    const emailB = randomEmail("api-reset"); // signed up on our API
    const ba = makeClient(BA_URL); // user A's Better Auth session
    const api = makeClient(API_URL); // user B's session on our API
    const newA = "new password for A, set on our API";
    const newB = "new password for B, set on Better Auth";
    let userA, userB;

    await t.test("a reset token mailed by Better Auth is spent on our /reset-password (and no longer on Better Auth's), and the new password signs in on our API", async () => {
      userA = okData(await gated(baGate, "BA sign-up", (fo) => ba.client.signUp.email({ email: emailA, password: PASSWORD, name: "BA Reset", fetchOptions: fo })), "BA sign-up").user;
      const token = await resetTokenFrom(side.ba, ba.client, emailA);
      await expectRedirectWithToken(side.api, token);
      const { client } = makeClient(API_URL);
      assert.deepEqual(okData(await client.resetPassword({ newPassword: newA, token }), "our resetPassword with a BA token"), { status: true });
      expectError(await ba.client.resetPassword({ newPassword: "too late for this one", token }), 400, "INVALID_TOKEN", "BA resetPassword with the token our API spent");
      const onApi = await signInWorks(side.api, emailA, newA, "our sign-in with the new password");
      assert.equal(onApi.user.id, userA.id);
      const old = makeClient(API_URL);
      expectError(
        await gated(apiGate, "API sign-in (old password)", (fo) => old.client.signIn.email({ email: emailA, password: PASSWORD, fetchOptions: fo })),
        401,
        "INVALID_EMAIL_OR_PASSWORD",
        "our sign-in with the old password",
      );
    });

    await t.test("…and Better Auth accepts the password our API set (BA --argon2)", async (t) => {
      if (!BA_ARGON2) {
        t.skip("BA_ARGON2 unset: our API hashed the new password with argon2id, which a stock Better Auth server cannot verify (start it with --argon2)");
        return;
      }
      assert.ok(userA, "needs the previous step");
      const onBa = await signInWorks(side.ba, emailA, newA, "BA sign-in with the password our API set");
      assert.equal(onBa.user.id, userA.id);
    });

    await t.test("a reset token mailed by our API is spent on Better Auth's /reset-password (and no longer on ours), and the new password signs in on both", async () => {
      userB = okData(await gated(apiGate, "API sign-up", (fo) => api.client.signUp.email({ email: emailB, password: PASSWORD, name: "API Reset", fetchOptions: fo })), "our sign-up").user;
      const token = await resetTokenFrom(side.api, api.client, emailB);
      await expectRedirectWithToken(side.ba, token);
      const { client } = makeClient(BA_URL);
      assert.deepEqual(okData(await client.resetPassword({ newPassword: newB, token }), "BA resetPassword with our token"), { status: true });
      expectError(await api.client.resetPassword({ newPassword: "too late for this one", token }), 400, "INVALID_TOKEN", "our resetPassword with the token Better Auth spent");
      assert.equal((await signInWorks(side.ba, emailB, newB, "BA sign-in with the new password")).user.id, userB.id);
      assert.equal((await signInWorks(side.api, emailB, newB, "our sign-in with the password Better Auth set (scrypt)")).user.id, userB.id);
    });

    await t.test("a verification link mailed by Better Auth verifies the email on our API", async () => {
      const token = await verificationTokenFrom(side.ba, ba.client, emailA);
      const { client } = makeClient(API_URL);
      assert.deepEqual(okData(await client.verifyEmail({ query: { token } }), "our verifyEmail with a BA JWT"), { status: true, user: null });
      const session = okData(await ba.client.getSession(), "BA getSession");
      assert.ok(session, "user A's Better Auth session is gone");
      assert.equal(session.user.emailVerified, true, "Better Auth must see the email our API verified");
    });

    await t.test("a verification link mailed by our API verifies the email on Better Auth", async () => {
      const token = await verificationTokenFrom(side.api, api.client, emailB);
      const { client } = makeClient(BA_URL);
      assert.deepEqual(okData(await client.verifyEmail({ query: { token } }), "BA verifyEmail with our JWT"), { status: true, user: null });
      const session = okData(await api.client.getSession(), "our getSession");
      assert.ok(session, "user B's session on our API is gone");
      assert.equal(session.user.emailVerified, true, "our API must see the email Better Auth verified");
    });

    t.diagnostic(`sign-in/sign-up calls: ${apiGate.calls} on our API, ${baGate.calls} on Better Auth`);
  });
}
