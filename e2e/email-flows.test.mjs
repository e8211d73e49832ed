// Forgot password and email verification, driven by the REAL better-auth client, with the links read from
// the servers' outbox directories (one JSON file per mail, see lib/outbox.mjs).
//
// Env: API_URL (required) and EMAIL_OUTBOX_DIR (required, where API_URL writes its mails): the reset flow.
//      VERIFY_API_URL (required) and VERIFY_OUTBOX_DIR (required): a second server whose options have
//      {"emailAndPassword":{"requireEmailVerification":true}} (nothing else), for the verification flow.
//      Each server's BETTER_AUTH_URL must be its URL here (the links in the mails point at it).
//      ORIGIN (default http://localhost:3000; trusted by both servers), BETTER_AUTH_SECRET (optional: when set,
//      the verification JWT's signature is checked with it), E2E_AUTH_RATE_LIMIT (see lib/rate-gate.mjs;
//      one gate for both servers, since two APIs on one database share their rate-limit rows).
// Calls: sign-in/sign-up 3 on API_URL and 4 on VERIFY_API_URL; request-password-reset 2 and
// send-verification-email 1. A 429 left by an earlier suite is waited out once (said in the output).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { SignJWT, decodeProtectedHeader, decodeJwt, jwtVerify } from "jose";
import { ORIGIN, PASSWORD, baseUrlFromEnv, makeClient, randomEmail, okData, expectError, sessionCookie, ID_RE, JWT_RE } from "./lib/helpers.mjs";
import { RateGate, gated, retryOnceOn429 } from "./lib/rate-gate.mjs";
import { outboxFromEnv, checkMailShape, resetTokenOf, verifyTokenOf } from "./lib/outbox.mjs";

const API_URL = baseUrlFromEnv("API_URL");
const VERIFY_API_URL = baseUrlFromEnv("VERIFY_API_URL");
const outbox = outboxFromEnv("EMAIL_OUTBOX_DIR", "API_URL");
const verifyOutbox = outboxFromEnv("VERIFY_OUTBOX_DIR", "VERIFY_API_URL");
const missing = [
  !API_URL && "API_URL",
  !outbox && "EMAIL_OUTBOX_DIR",
  !VERIFY_API_URL && "VERIFY_API_URL",
  !verifyOutbox && "VERIFY_OUTBOX_DIR",
].filter(Boolean);

export const RESET_MESSAGE = "If this email exists in our system, check your email for the reset link";
const NEW_PASSWORD = "a new password, chosen after a mail";
const RESET_TOKEN_RE = /^[A-Za-z0-9]{24}$/;

if (missing.length) {
  test("email flows need API_URL, EMAIL_OUTBOX_DIR, VERIFY_API_URL and VERIFY_OUTBOX_DIR", () => {
    assert.fail(
      `missing: ${missing.join(", ")}. Start our API with EMAIL_OUTBOX_DIR=<dir> (API_URL), and a second one with ` +
        `BETTER_AUTH_OPTIONS='{"emailAndPassword":{"requireEmailVerification":true}}' and its own EMAIL_OUTBOX_DIR ` +
        `(VERIFY_API_URL, VERIFY_OUTBOX_DIR); see README.md`,
    );
  });
} else {
  const gate = new RateGate();
  const mailCall = (label, call) => retryOnceOn429(label, call, { fallbackMs: 61_000 });

  /** GET a link from a mail without following the redirect. */
  async function openLink(url) {
    const res = await fetch(url, { redirect: "manual" });
    await res.arrayBuffer();
    return res;
  }

  /** The header, claims and lifetime of a verification JWT, as Better Auth 1.7.25 mints it. */
  async function checkVerificationJwt(t, token, user, what) {
    assert.match(token, JWT_RE, `${what}: not a JWT`);
    assert.deepEqual(decodeProtectedHeader(token), { alg: "HS256" }, `${what}: protected header must be exactly {"alg":"HS256"}`);
    const claims = decodeJwt(token);
    assert.equal(claims.email, user.email.toLowerCase(), `${what}: email claim`);
    assert.equal(claims.userId, user.id, `${what}: userId claim`);
    assert.equal(claims.updateTo, undefined, `${what}: no updateTo claim`);
    assert.equal(claims.exp - claims.iat, 3600, `${what}: lifetime (emailVerification.expiresIn defaults to 3600 s)`);
    assert.ok(Math.abs(claims.iat - Date.now() / 1000) < 120, `${what}: iat is not now`);
    assert.deepEqual(Object.keys(claims).sort(), ["email", "exp", "iat", "userId"], `${what}: claims`);
    if (process.env.BETTER_AUTH_SECRET) {
      await jwtVerify(token, new TextEncoder().encode(process.env.BETTER_AUTH_SECRET), { algorithms: ["HS256"] });
    } else t.diagnostic(`${what}: signature not checked (BETTER_AUTH_SECRET unset)`);
  }

  test(`forgot password against ${API_URL} (outbox ${outbox.dir})`, async (t) => {
    const { client, jar } = makeClient(API_URL);
    const email = randomEmail("reset");
    const redirectTo = `${ORIGIN}/reset`;
    let user, mail, token;

    await t.test("sign-up (the user who forgets the password)", async () => {
      const data = okData(await gated(gate, "sign-up", (fo) => client.signUp.email({ email, password: PASSWORD, name: "Forgetful", fetchOptions: fo })), "signUp.email");
      user = data.user;
      assert.match(user.id, ID_RE);
    });

    await t.test("requestPasswordReset answers {status:true, message} and mails the user a reset link", async () => {
      const since = outbox.mark();
      const data = okData(await mailCall("requestPasswordReset", (fo) => client.requestPasswordReset({ email, redirectTo, fetchOptions: fo })), "requestPasswordReset");
      assert.deepEqual(data, { status: true, message: RESET_MESSAGE });
      [mail] = await outbox.waitFor({ to: email, since, what: "the reset mail" });
      checkMailShape(mail, { to: email, what: "the reset mail" });
      token = resetTokenOf(mail.url);
      assert.match(token, RESET_TOKEN_RE, "the reset token is 24 letters and digits (generateId(24))");
      assert.equal(
        mail.url,
        `${API_URL}/api/auth/reset-password/${token}?callbackURL=${encodeURIComponent(redirectTo)}`,
        "the link is ${BETTER_AUTH_URL}/api/auth/reset-password/<token>?callbackURL=<encodeURIComponent(redirectTo)>",
      );
    });

    await t.test("the mail's link answers 302 to redirectTo?token=<the token>", async () => {
      const res = await openLink(mail.url);
      assert.equal(res.status, 302, `GET ${mail.url}: ${res.status}`);
      assert.equal(res.headers.get("location"), `${redirectTo}?token=${token}`);
      assert.deepEqual(res.headers.getSetCookie(), [], "the link sets no cookie");
    });

    await t.test("a new password that is too short is refused (400 PASSWORD_TOO_SHORT) and does not spend the token", async () => {
      expectError(await client.resetPassword({ newPassword: "short", token }), 400, "PASSWORD_TOO_SHORT", "resetPassword with a 5-character password");
      const res = await openLink(mail.url);
      assert.equal(res.headers.get("location"), `${redirectTo}?token=${token}`, "the token must still be valid");
    });

    await t.test("resetPassword({newPassword, token}) answers {status:true}", async () => {
      const data = okData(await client.resetPassword({ newPassword: NEW_PASSWORD, token }), "resetPassword");
      assert.deepEqual(data, { status: true });
    });

    await t.test("sign-in works with the new password and fails with the old one", async () => {
      const fresh = makeClient(API_URL);
      const ok = okData(await gated(gate, "sign-in (new password)", (fo) => fresh.client.signIn.email({ email, password: NEW_PASSWORD, fetchOptions: fo })), "sign-in with the new password");
      assert.equal(ok.user.id, user.id);
      assert.ok(sessionCookie(fresh.jar), "sign-in with the new password set no session cookie");
      const old = makeClient(API_URL);
      expectError(
        await gated(gate, "sign-in (old password)", (fo) => old.client.signIn.email({ email, password: PASSWORD, fetchOptions: fo })),
        401,
        "INVALID_EMAIL_OR_PASSWORD",
        "sign-in with the old password",
      );
    });

    await t.test("the sessions the user had survive the reset (revokeSessionsOnPasswordReset is off)", async () => {
      assert.ok(sessionCookie(jar), "precondition: the sign-up cookie");
      const data = okData(await client.getSession(), "getSession with the sign-up cookie");
      assert.ok(data, "the sign-up session was revoked by the reset");
      assert.equal(data.user.id, user.id);
    });

    await t.test("the spent token is refused: resetPassword → 400 INVALID_TOKEN, its link → 302 redirectTo?error=INVALID_TOKEN", async () => {
      expectError(await client.resetPassword({ newPassword: "yet another password", token }), 400, "INVALID_TOKEN", "resetPassword with the spent token");
      const res = await openLink(mail.url);
      assert.equal(res.status, 302);
      assert.equal(res.headers.get("location"), `${redirectTo}?error=INVALID_TOKEN`);
      expectError(await client.resetPassword({ newPassword: NEW_PASSWORD, token: "A".repeat(24) }), 400, "INVALID_TOKEN", "resetPassword with an unknown token");
    });

    await t.test("an unknown email gets the same answer as a known one, and no mail is written", async () => {
      const unknown = randomEmail("nobody");
      const since = outbox.mark();
      const data = okData(await mailCall("requestPasswordReset (unknown)", (fo) => client.requestPasswordReset({ email: unknown, redirectTo, fetchOptions: fo })), "requestPasswordReset for an unknown email");
      assert.deepEqual(data, { status: true, message: RESET_MESSAGE });
      await outbox.expectNone({ to: unknown, since, what: "requestPasswordReset for an unknown email" });
    });

    t.diagnostic(`sign-in/sign-up calls so far: ${gate.calls}`);
  });

  test(`email verification against ${VERIFY_API_URL} (requireEmailVerification, outbox ${verifyOutbox.dir})`, async (t) => {
    const { client, jar } = makeClient(VERIFY_API_URL);
    const email = randomEmail("verify");
    const callbackURL = `${ORIGIN}/verified`;
    let user, signUpToken, mail;

    await t.test("sign-up answers {token:null, user}, sets no cookie, and mails a verification link", async () => {
      const since = verifyOutbox.mark();
      const data = okData(await gated(gate, "sign-up (verify)", (fo) => client.signUp.email({ email, password: PASSWORD, name: "Unverified", fetchOptions: fo })), "signUp.email");
      user = data.user;
      assert.equal(data.token, null, "token must be null when requireEmailVerification is on");
      assert.match(user.id, ID_RE);
      assert.equal(user.email, email.toLowerCase());
      assert.equal(user.emailVerified, false);
      assert.equal(sessionCookie(jar), undefined, `sign-up must not set a session cookie; jar: ${JSON.stringify(jar.toJSON())}`);
      // sendOnSignUp is unset, so it follows requireEmailVerification (Better Auth's rule).
      const [m] = await verifyOutbox.waitFor({ to: email, since, what: "the sign-up verification mail" });
      checkMailShape(m, { to: email, what: "the sign-up mail" });
      signUpToken = verifyTokenOf(m.url);
      assert.equal(m.url, `${VERIFY_API_URL}/api/auth/verify-email?token=${signUpToken}&callbackURL=%2F`, "the sign-up link (no callbackURL given: %2F)");
      await checkVerificationJwt(t, signUpToken, user, "the sign-up mail's JWT");
    });

    await t.test("a sign-up with the same email answers the same shape (token null, another id) and mails nothing", async () => {
      const other = makeClient(VERIFY_API_URL);
      const since = verifyOutbox.mark();
      const data = okData(
        await gated(gate, "duplicate sign-up (verify)", (fo) => other.client.signUp.email({ email, password: "someone else's password", name: "Impostor", fetchOptions: fo })),
        "duplicate signUp.email",
      );
      assert.equal(data.token, null);
      assert.equal(data.user.email, email.toLowerCase());
      assert.equal(data.user.name, "Impostor", "the synthetic user echoes the request's name");
      assert.equal(data.user.emailVerified, false);
      assert.match(data.user.id, ID_RE);
      assert.notEqual(data.user.id, user.id, "the synthetic user must not reveal the real id");
      assert.equal(sessionCookie(other.jar), undefined, "no cookie for a duplicate sign-up");
      await verifyOutbox.expectNone({ to: email, since, what: "a duplicate sign-up" });
    });

    await t.test("sign-in of the unverified user is refused with 403 EMAIL_NOT_VERIFIED, and mails nothing (sendOnSignIn is off)", async () => {
      const since = verifyOutbox.mark();
      expectError(
        await gated(gate, "sign-in (unverified)", (fo) => client.signIn.email({ email, password: PASSWORD, fetchOptions: fo })),
        403,
        "EMAIL_NOT_VERIFIED",
        "sign-in before verification",
      );
      assert.equal(sessionCookie(jar), undefined, "a refused sign-in must not set a cookie");
      await verifyOutbox.expectNone({ to: email, since, what: "a refused sign-in" });
    });

    await t.test("sendVerificationEmail answers {status:true} and mails a link carrying the callbackURL", async () => {
      const since = verifyOutbox.mark();
      const data = okData(
        await mailCall("sendVerificationEmail", (fo) => client.sendVerificationEmail({ email, callbackURL, fetchOptions: fo })),
        "sendVerificationEmail",
      );
      assert.deepEqual(data, { status: true });
      [mail] = await verifyOutbox.waitFor({ to: email, since, what: "the verification mail" });
      checkMailShape(mail, { to: email, what: "the verification mail" });
      const token = verifyTokenOf(mail.url);
      assert.equal(mail.url, `${VERIFY_API_URL}/api/auth/verify-email?token=${token}&callbackURL=${encodeURIComponent(callbackURL)}`);
      await checkVerificationJwt(t, token, user, "the send-verification-email JWT");
    });

    await t.test("opening the link verifies the email and answers 302 to the callbackURL, with no cookie", async () => {
      const res = await openLink(mail.url);
      assert.equal(res.status, 302, `GET ${mail.url}: ${res.status}`);
      assert.equal(res.headers.get("location"), callbackURL);
      assert.deepEqual(res.headers.getSetCookie(), [], "autoSignInAfterVerification is off: no cookie");
    });

    await t.test("sign-in now works, and getSession shows emailVerified:true", async () => {
      const data = okData(await gated(gate, "sign-in (verified)", (fo) => client.signIn.email({ email, password: PASSWORD, fetchOptions: fo })), "sign-in after verification");
      assert.equal(data.user.id, user.id);
      assert.equal(data.user.emailVerified, true, "sign-in's user.emailVerified");
      const session = okData(await client.getSession(), "getSession");
      assert.ok(session, "getSession returned null after sign-in");
      assert.equal(session.user.emailVerified, true, "getSession's user.emailVerified");
    });

    await t.test("verifyEmail({query:{token}}) with the sign-up mail's token still answers {status:true, user:null}", async () => {
      // Verification JWTs are not single-use: an already verified user gets the plain success answer.
      const anon = makeClient(VERIFY_API_URL);
      const data = okData(await anon.client.verifyEmail({ query: { token: signUpToken } }), "verifyEmail (already verified)");
      assert.deepEqual(data, { status: true, user: null });
    });

    await t.test("a forged token is refused: 401 INVALID_TOKEN, or 302 callbackURL?error=INVALID_TOKEN with a callbackURL", async () => {
      const forged = await new SignJWT({ email: email.toLowerCase(), userId: user.id })
        .setProtectedHeader({ alg: "HS256" })
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(new TextEncoder().encode(`not-the-secret-${randomBytes(16).toString("hex")}`));
      const anon = makeClient(VERIFY_API_URL);
      expectError(await anon.client.verifyEmail({ query: { token: forged } }), 401, "INVALID_TOKEN", "verifyEmail with a forged token");
      const res = await openLink(`${VERIFY_API_URL}/api/auth/verify-email?token=${forged}&callbackURL=${encodeURIComponent(callbackURL)}`);
      assert.equal(res.status, 302);
      assert.equal(res.headers.get("location"), `${callbackURL}?error=INVALID_TOKEN`);
    });

    t.diagnostic(`sign-in/sign-up calls (both servers): ${gate.calls}; waited ${(gate.waitedMs / 1000).toFixed(1)} s for the rate limit`);
  });
}
