// Measures Better Auth's forgot-password and email-verification routes on running servers and prints every
// response as it came off the wire (status, headers in wire order, body), for MEASURED.md. It starts nothing:
// start better-auth-server.mjs once per role below, all on one database and one secret, then
//
//   DATABASE_URL=… BETTER_AUTH_SECRET=… MEASURE_PLAIN=http://127.0.0.1:3101 MEASURE_PLAIN_OUTBOX=/tmp/out-a … \
//     node scripts/measure-email-flows.mjs > measured.txt
//
// Roles (MEASURE_<ROLE> = the server's URL, which must also be its BETTER_AUTH_URL; MEASURE_<ROLE>_OUTBOX = its
// EMAIL_OUTBOX_DIR); a role left unset skips its cases, saying so:
//   PLAIN         EMAIL_OUTBOX_DIR set, no BETTER_AUTH_OPTIONS
//   NO_MAIL       no EMAIL_OUTBOX_DIR (no sendResetPassword / sendVerificationEmail)
//   REVOKE        outbox + {"emailAndPassword":{"revokeSessionsOnPasswordReset":true}}
//   VERIFY        outbox + {"emailAndPassword":{"requireEmailVerification":true},
//                           "emailVerification":{"sendOnSignIn":true,"autoSignInAfterVerification":true}}
//   VERIFY_BEARER the same options, started with --bearer
//   QUIET         outbox + {"emailAndPassword":{"requireEmailVerification":true},"emailVerification":{"sendOnSignUp":false}}
//   REQUIRE_NO_MAIL {"emailAndPassword":{"requireEmailVerification":true}} and no outbox
//   PROD          outbox, NODE_ENV=production
// DATABASE_URL is read, and written only to set up cases (age a reset row, mark a user verified, delete a
// credential account), each announced by a "DB:" line in the output. Give it a throwaway database.
// ORIGIN (default http://localhost:3000) must be in every server's TRUSTED_ORIGINS.
import http from "node:http";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { SignJWT, decodeProtectedHeader } from "jose";

const ORIGIN = process.env.ORIGIN || "http://localhost:3000";
const SECRET = process.env.BETTER_AUTH_SECRET;
const DATABASE_URL = process.env.DATABASE_URL;
if (!SECRET || !DATABASE_URL) {
  console.error("measure-email-flows: set DATABASE_URL and BETTER_AUTH_SECRET (the servers' own)");
  process.exit(2);
}
const db = new pg.Pool({ connectionString: DATABASE_URL });
const role = (name) => {
  const url = process.env[`MEASURE_${name}`];
  return url ? { name, url: url.replace(/\/+$/, ""), outbox: process.env[`MEASURE_${name}_OUTBOX`] || null } : null;
};
const SKIPPED_HEADERS = new Set(["date", "connection", "keep-alive", "transfer-encoding"]);
const PASSWORD = "correct horse battery staple";

const out = (s = "") => process.stdout.write(s + "\n");
const email = (tag) => `${tag}-${randomBytes(4).toString("hex")}@example.com`;

/** One request with node:http, so headers are seen in wire order. */
function raw(method, url, { headers = {}, body, json } = {}) {
  const u = new URL(url);
  const h = { "user-agent": "measure/1", ...headers };
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    h["content-type"] ??= "application/json";
  }
  if (payload !== undefined) h["content-length"] = Buffer.byteLength(payload);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const req = http.request(u, { method, headers: h }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const pairs = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed;
        try {
          parsed = JSON.parse(text);
        } catch {}
        resolve({
          status: res.statusCode,
          statusText: res.statusMessage,
          pairs,
          header: (n) => pairs.find(([k]) => k.toLowerCase() === n)?.[1],
          setCookies: pairs.filter(([k]) => k.toLowerCase() === "set-cookie").map(([, v]) => v),
          text,
          json: parsed,
          ms: Date.now() - started,
        });
      });
    });
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Prints a request and its response. `opts.quietBody` shortens long bodies. */
async function show(title, method, url, opts = {}) {
  const r = await raw(method, url, opts);
  out(`#### ${title}`);
  const u = new URL(url);
  const sent = Object.entries(opts.headers || {}).map(([k, v]) => `${k}: ${v}`);
  out(`> ${method} ${u.pathname}${u.search}${sent.length ? `  [${sent.join("; ")}]` : ""}`);
  if (opts.json !== undefined) out(`> body ${JSON.stringify(opts.json)}`);
  else if (opts.body !== undefined) out(`> body ${JSON.stringify(opts.body)} (content-type ${opts.headers?.["content-type"] ?? "none"})`);
  out(`< ${r.status} ${r.statusText}   (${r.ms} ms)`);
  for (const [k, v] of r.pairs) if (!SKIPPED_HEADERS.has(k.toLowerCase())) out(`< ${k}: ${v}`);
  if (r.text) {
    const body = opts.quietBody && r.text.length > 200 ? `${r.text.slice(0, 200)}… (${r.text.length} chars)` : r.text;
    out(`< ${body}`);
  } else out("< (empty body)");
  out();
  return r;
}

function note(s) {
  out(`NOTE: ${s}`);
  out();
}

/** The names of the outbox's mail files, sorted. */
function mailNames(dir) {
  return readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .sort();
}
/** Mails added since `before` (a list of names). */
function newMails(dir, before) {
  const seen = new Set(before);
  return mailNames(dir)
    .filter((n) => !seen.has(n))
    .map((n) => ({ name: n, ...JSON.parse(readFileSync(path.join(dir, n), "utf8")) }));
}
function showMails(mails, what) {
  out(`MAILS after ${what}: ${mails.length}`);
  for (const m of mails) {
    out(`  file ${m.name}`);
    out(`  keys ${JSON.stringify(Object.keys(m).filter((k) => k !== "name"))}`);
    out(`  to ${m.to}; subject ${JSON.stringify(m.subject)}`);
    out(`  url ${m.url}`);
  }
  out();
}
/** Runs `fn` and shows the mails it caused. */
async function withMails(r, what, fn) {
  if (!r.outbox) {
    await fn();
    return [];
  }
  const before = mailNames(r.outbox);
  await fn();
  const mails = newMails(r.outbox, before);
  showMails(mails, what);
  return mails;
}

function sessionCookieOf(res) {
  const c = res.setCookies.find((v) => v.startsWith("better-auth.session_token="));
  return c ? c.split(";")[0] : null;
}

async function signUp(r, addr, { password = PASSWORD, print = false } = {}) {
  const opts = { json: { email: addr, password, name: "Mail Tester" } };
  const res = print ? await show(`sign-up ${addr}`, "POST", `${r.url}/api/auth/sign-up/email`, opts) : await raw("POST", `${r.url}/api/auth/sign-up/email`, opts);
  if (res.status !== 200) throw new Error(`sign-up on ${r.name} failed: ${res.status} ${res.text}`);
  return { user: res.json.user, cookie: sessionCookieOf(res) };
}

async function signIn(r, addr, password = PASSWORD) {
  return raw("POST", `${r.url}/api/auth/sign-in/email`, { json: { email: addr, password } });
}

function decodeJwt(token) {
  const [h, p] = token.split(".");
  const dec = (s) => JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
  return { header: dec(h), headerRaw: Buffer.from(h, "base64url").toString("utf8"), payloadRaw: Buffer.from(p, "base64url").toString("utf8"), payload: dec(p) };
}

function showJwt(token, what) {
  const { headerRaw, payloadRaw, payload } = decodeJwt(token);
  out(`JWT from ${what}:`);
  out(`  header  ${headerRaw}`);
  out(`  payload ${payloadRaw}`);
  out(`  exp - iat = ${payload.exp - payload.iat} s; decodeProtectedHeader ${JSON.stringify(decodeProtectedHeader(token))}`);
  out();
}

/** An HS256 token like Better Auth's, signed with `secret` (the servers' own by default). */
async function mint(claims, { secret = SECRET, iat, exp, alg = "HS256" } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg })
    .setIssuedAt(iat ?? now)
    .setExpirationTime(exp ?? now + 3600)
    .sign(new TextEncoder().encode(secret));
}

const tokenOfResetUrl = (url) => new URL(url).pathname.split("/").pop();
const tokenOfVerifyUrl = (url) => new URL(url).searchParams.get("token");

async function verificationRows(where, args) {
  const { rows } = await db.query(`select * from "verification" where ${where} order by "createdAt"`, args);
  return rows;
}
function showRows(rows, what) {
  out(`DB: verification rows ${what}: ${rows.length}`);
  for (const row of rows) {
    out(`  ${JSON.stringify(row)}`);
    out(`  expiresAt - createdAt = ${(row.expiresAt - row.createdAt) / 1000} s; columns ${JSON.stringify(Object.keys(row))}`);
  }
  out();
}

// ---------------------------------------------------------------------------------------------------------
async function passwordReset() {
  const r = role("PLAIN");
  if (!r) return note("MEASURE_PLAIN unset: password-reset cases skipped");
  out(`## request-password-reset (${r.url}, outbox ${r.outbox})`);
  const known = email("reset");
  const { user, cookie } = await signUp(r, known);
  out(`user ${known} id ${user.id}`);
  out();
  const rpr = `${r.url}/api/auth/request-password-reset`;

  let mails = await withMails(r, "known email", () => show("known email, no redirectTo", "POST", rpr, { json: { email: known } }));
  const firstToken = tokenOfResetUrl(mails[0].url);
  showRows(await verificationRows(`"identifier" like 'reset-password:%' and "value" = $1`, [user.id]), "for the user after one request");
  await withMails(r, "unknown email", () => show("unknown email", "POST", rpr, { json: { email: email("nobody") } }));
  await withMails(r, "upper-cased known email", () => show("known email in upper case", "POST", rpr, { json: { email: known.toUpperCase() } }));
  await withMails(r, "untrusted absolute redirectTo", () =>
    show("untrusted absolute redirectTo", "POST", rpr, { json: { email: known, redirectTo: "http://evil.example/reset" } }),
  );
  await withMails(r, "untrusted redirectTo, unknown email", () =>
    show("untrusted absolute redirectTo, unknown email", "POST", rpr, { json: { email: email("nobody"), redirectTo: "http://evil.example/reset" } }),
  );
  mails = await withMails(r, "relative redirectTo", () => show("relative redirectTo /reset", "POST", rpr, { json: { email: known, redirectTo: "/reset" } }));
  const relToken = tokenOfResetUrl(mails[0].url);
  mails = await withMails(r, "trusted absolute redirectTo", () =>
    show("trusted absolute redirectTo", "POST", rpr, { json: { email: known, redirectTo: `${ORIGIN}/reset?from=mail` } }),
  );
  const absToken = tokenOfResetUrl(mails[0].url);
  await withMails(r, "protocol-relative redirectTo", () =>
    show("protocol-relative redirectTo //evil.example/x", "POST", rpr, { json: { email: known, redirectTo: "//evil.example/x" } }),
  );
  await show("Cookie (the user's session) + foreign Origin", "POST", rpr, { headers: { cookie, origin: "http://evil.example" }, json: { email: known } });
  await show("Cookie foo=bar, no Origin", "POST", rpr, { headers: { cookie: "foo=bar" }, json: { email: known } });
  await withMails(r, "Cookie + trusted Origin", () => show("Cookie + trusted Origin", "POST", rpr, { headers: { cookie, origin: ORIGIN }, json: { email: known } }));
  await show("foreign Origin, no Cookie", "POST", rpr, { headers: { origin: "http://evil.example" }, json: { email: email("nobody") } });
  await show("missing email", "POST", rpr, { json: {} });
  await show("bad email", "POST", rpr, { json: { email: "not-an-email" } });
  await show("email 5", "POST", rpr, { json: { email: 5 } });
  await show("redirectTo 5", "POST", rpr, { json: { email: known, redirectTo: 5 } });
  await show("empty body", "POST", rpr, { headers: { "content-type": "application/json" }, body: "" });
  await show("not JSON", "POST", rpr, { headers: { "content-type": "application/json" }, body: "nope" });
  await show("GET request-password-reset", "GET", rpr);
  showRows(await verificationRows(`"identifier" like 'reset-password:%' and "value" = $1`, [user.id]), "for the user now");

  const nm = role("NO_MAIL");
  if (nm) {
    out(`## request-password-reset without sendResetPassword (${nm.url})`);
    const addr = email("nomail");
    await signUp(nm, addr);
    await show("known email", "POST", `${nm.url}/api/auth/request-password-reset`, { json: { email: addr } });
    await show("unknown email", "POST", `${nm.url}/api/auth/request-password-reset`, { json: { email: email("nobody") } });
    await show("bad email", "POST", `${nm.url}/api/auth/request-password-reset`, { json: { email: "bad" } });
  } else note("MEASURE_NO_MAIL unset: RESET_PASSWORD_DISABLED skipped");

  out(`## GET /reset-password/:token (${r.url})`);
  const cb = encodeURIComponent(`${ORIGIN}/reset`);
  const rp = (t, q) => `${r.url}/api/auth/reset-password/${t}${q === undefined ? "" : `?${q}`}`;
  await show("valid token, trusted absolute callbackURL", "GET", rp(firstToken, `callbackURL=${cb}`));
  await show("valid token, callbackURL with a query", "GET", rp(firstToken, `callbackURL=${encodeURIComponent(`${ORIGIN}/reset?from=mail`)}`));
  await show("valid token, the link from the mail as sent (redirectTo given: /reset)", "GET", rp(relToken, `callbackURL=${encodeURIComponent("/reset")}`));
  await show("valid token, relative callbackURL without a slash (reset)", "GET", rp(relToken, "callbackURL=reset"));
  await show("valid token, the link from the mail as sent (no redirectTo: callbackURL empty)", "GET", rp(firstToken, "callbackURL="));
  await show("valid token, no callbackURL at all", "GET", rp(firstToken));
  await show("valid token, untrusted callbackURL", "GET", rp(firstToken, `callbackURL=${encodeURIComponent("http://evil.example/reset")}`));
  await show("unknown token, trusted callbackURL", "GET", rp("unknownunknownunknown123", `callbackURL=${cb}`));
  await show("unknown token, relative callbackURL", "GET", rp("unknownunknownunknown123", "callbackURL=%2Freset"));
  await show("unknown token, no callbackURL", "GET", rp("unknownunknownunknown123"));
  await show("empty token segment", "GET", `${r.url}/api/auth/reset-password/?callbackURL=${cb}`);
  await show("POST to /reset-password/:token", "POST", rp(firstToken, `callbackURL=${cb}`), { json: {} });
  showRows(await verificationRows(`"identifier" = $1`, [`reset-password:${firstToken}`]), "for the first token after the GETs (not consumed?)");

  out(`## POST /reset-password (${r.url})`);
  const rpPost = `${r.url}/api/auth/reset-password`;
  const NEW = "a brand new password 1";
  await show("missing newPassword", "POST", rpPost, { json: { token: firstToken } });
  await show("no token anywhere", "POST", rpPost, { json: { newPassword: NEW } });
  await show("newPassword too short, valid token", "POST", rpPost, { json: { newPassword: "short", token: firstToken } });
  await show("newPassword too short, unknown token", "POST", rpPost, { json: { newPassword: "short", token: "unknownunknownunknown123" } });
  await show("newPassword 129 chars, valid token", "POST", rpPost, { json: { newPassword: "x".repeat(129), token: firstToken } });
  await show("newPassword 128 chars is not too long (unknown token)", "POST", rpPost, { json: { newPassword: "x".repeat(128), token: "unknownunknownunknown123" } });
  await show("newPassword empty string, unknown token", "POST", rpPost, { json: { newPassword: "", token: "unknownunknownunknown123" } });
  await show("newPassword 5 (a number)", "POST", rpPost, { json: { newPassword: 5, token: firstToken } });
  await show("unknown token", "POST", rpPost, { json: { newPassword: NEW, token: "unknownunknownunknown123" } });
  await show("Cookie + foreign Origin", "POST", rpPost, { headers: { cookie, origin: "http://evil.example" }, json: { newPassword: NEW, token: firstToken } });
  await show("success (token in the body)", "POST", rpPost, { json: { newPassword: NEW, token: firstToken } });
  showRows(await verificationRows(`"identifier" like 'reset-password:%' and "value" = $1`, [user.id]), "for the user after the reset (other tokens?)");
  await show("the same token again", "POST", rpPost, { json: { newPassword: "another new password", token: firstToken } });
  await show("GET the spent token's link", "GET", rp(firstToken, `callbackURL=${cb}`));
  await show("token in the query, not the body", "POST", `${rpPost}?token=${relToken}`, { json: { newPassword: "query token password" } });
  await show("body token wins over query token (body valid, query junk)", "POST", `${rpPost}?token=junk`, { json: { newPassword: "body token password", token: absToken } });
  let s = await signIn(r, known, "body token password");
  out(`sign-in with the last new password: ${s.status}; with the original: ${(await signIn(r, known)).status}; with the first new one: ${(await signIn(r, known, NEW)).status}`);
  out();
  // Sessions: the sign-up session (cookie) after the resets.
  await show("get-session with the sign-up cookie after the resets (no revokeSessionsOnPasswordReset)", "GET", `${r.url}/api/auth/get-session`, { headers: { cookie }, quietBody: true });

  // Expired token.
  mails = await withMails(r, "a request to age", () => raw("POST", rpr, { json: { email: known } }));
  const old = tokenOfResetUrl(mails[0].url);
  await db.query(`update "verification" set "expiresAt" = now() - interval '1 minute' where "identifier" = $1`, [`reset-password:${old}`]);
  out("DB: set that row's expiresAt to one minute ago");
  await show("expired token, GET", "GET", rp(old, `callbackURL=${cb}`));
  showRows(await verificationRows(`"identifier" = $1`, [`reset-password:${old}`]), "for the expired token after the GET");
  await show("expired token, POST", "POST", rpPost, { json: { newPassword: NEW, token: old } });
  showRows(await verificationRows(`"identifier" = $1`, [`reset-password:${old}`]), "for the expired token after the POST");

  const rv = role("REVOKE");
  if (rv) {
    out(`## revokeSessionsOnPasswordReset: true (${rv.url})`);
    const addr = email("revoke");
    const { cookie: c1, user: u } = await signUp(rv, addr);
    const si = await signIn(rv, addr);
    const c2 = sessionCookieOf(si);
    const count = async () => (await db.query(`select count(*)::int as n from "session" where "userId" = $1`, [u.id])).rows[0].n;
    out(`sessions before: ${await count()}`);
    const m = await withMails(rv, "request", () => raw("POST", `${rv.url}/api/auth/request-password-reset`, { json: { email: addr } }));
    await show("reset with revoke, called with one of the user's cookies (+ trusted Origin)", "POST", `${rv.url}/api/auth/reset-password`, {
      headers: { cookie: c2, origin: ORIGIN },
      json: { newPassword: NEW, token: tokenOfResetUrl(m[0].url) },
    });
    out(`sessions after: ${await count()}`);
    out();
    await show("get-session with the sign-up cookie after a revoking reset", "GET", `${rv.url}/api/auth/get-session`, { headers: { cookie: c1 } });
  } else note("MEASURE_REVOKE unset: revokeSessionsOnPasswordReset skipped");
  {
    const addr = email("keep");
    const { user: u } = await signUp(r, addr);
    await signIn(r, addr);
    const count = async () => (await db.query(`select count(*)::int as n from "session" where "userId" = $1`, [u.id])).rows[0].n;
    const before = await count();
    const m = await withMails(r, "request", () => raw("POST", rpr, { json: { email: addr } }));
    await raw("POST", rpPost, { json: { newPassword: NEW, token: tokenOfResetUrl(m[0].url) } });
    out(`without revokeSessionsOnPasswordReset: sessions before the reset ${before}, after ${await count()}`);
    out();
  }
  // A user with no credential account (e.g. social only): reset creates one.
  {
    const addr = email("nocred");
    const { user: u } = await signUp(r, addr);
    await db.query(`delete from "account" where "userId" = $1`, [u.id]);
    out(`DB: deleted ${addr}'s credential account`);
    const m = await withMails(r, "request (no credential account)", () => raw("POST", rpr, { json: { email: addr } }));
    await show("reset for a user without a credential account", "POST", rpPost, { json: { newPassword: NEW, token: tokenOfResetUrl(m[0].url) } });
    const { rows } = await db.query(`select "providerId", "accountId" = "userId" as same, "password" like '%:%' as scrypt from "account" where "userId" = $1`, [u.id]);
    out(`DB: accounts now ${JSON.stringify(rows)}; sign-in with the new password: ${(await signIn(r, addr, NEW)).status}`);
    out();
  }
}

// ---------------------------------------------------------------------------------------------------------
async function sendVerification() {
  const r = role("PLAIN");
  if (!r) return note("MEASURE_PLAIN unset: send-verification-email skipped");
  out(`## send-verification-email (${r.url}; requireEmailVerification false)`);
  const sve = `${r.url}/api/auth/send-verification-email`;
  const a = email("unverified");
  const b = email("other");
  const ua = await signUp(r, a);
  const ub = await signUp(r, b);
  const v = email("verified");
  const uv = await signUp(r, v);
  await db.query(`update "user" set "emailVerified" = true where "id" = $1`, [uv.user.id]);
  out(`DB: marked ${v} verified`);
  out();
  let mails = await withMails(r, "anonymous, known unverified", () => show("anonymous, known unverified email", "POST", sve, { json: { email: a } }));
  showJwt(tokenOfVerifyUrl(mails[0].url), "send-verification-email (anonymous)");
  const tokenA = tokenOfVerifyUrl(mails[0].url);
  await withMails(r, "anonymous, unknown", () => show("anonymous, unknown email", "POST", sve, { json: { email: email("nobody") } }));
  await withMails(r, "anonymous, verified", () => show("anonymous, already verified email", "POST", sve, { json: { email: v } }));
  await withMails(r, "anonymous, upper case", () => show("anonymous, known unverified email in upper case", "POST", sve, { json: { email: a.toUpperCase() } }));
  mails = await withMails(r, "anonymous with callbackURL", () =>
    show("anonymous, trusted callbackURL", "POST", sve, { json: { email: a, callbackURL: `${ORIGIN}/verified` } }),
  );
  await withMails(r, "anonymous, untrusted callbackURL", () =>
    show("anonymous, untrusted callbackURL", "POST", sve, { json: { email: a, callbackURL: "http://evil.example/v" } }),
  );
  await withMails(r, "signed in as someone else", () =>
    show("signed in as b, asking for a", "POST", sve, { headers: { cookie: ub.cookie, origin: ORIGIN }, json: { email: a } }),
  );
  await withMails(r, "signed in, own email", () =>
    show("signed in as a, own email (upper case)", "POST", sve, { headers: { cookie: ua.cookie, origin: ORIGIN }, json: { email: a.toUpperCase() } }),
  );
  await withMails(r, "signed in, verified", () =>
    show("signed in as the verified user, own email", "POST", sve, { headers: { cookie: uv.cookie, origin: ORIGIN }, json: { email: v } }),
  );
  await show("signed in as the verified user, someone else's email", "POST", sve, { headers: { cookie: uv.cookie, origin: ORIGIN }, json: { email: a } });
  await show("Cookie, no Origin", "POST", sve, { headers: { cookie: ua.cookie }, json: { email: a } });
  await show("Cookie + foreign Origin", "POST", sve, { headers: { cookie: ua.cookie, origin: "http://evil.example" }, json: { email: a } });
  await show("a cookie for no session (signed garbage), trusted Origin", "POST", sve, { headers: { cookie: "better-auth.session_token=nope.nope", origin: ORIGIN }, json: { email: a } });
  await show("missing email", "POST", sve, { json: {} });
  await show("bad email", "POST", sve, { json: { email: "bad" } });
  const nm = role("NO_MAIL");
  if (nm) {
    out(`## send-verification-email without sendVerificationEmail (${nm.url})`);
    const addr = email("nomail");
    const u = await signUp(nm, addr);
    await show("anonymous, known email", "POST", `${nm.url}/api/auth/send-verification-email`, { json: { email: addr } });
    await show("signed in, own email", "POST", `${nm.url}/api/auth/send-verification-email`, { headers: { cookie: u.cookie, origin: ORIGIN }, json: { email: addr } });
    await show("bad email", "POST", `${nm.url}/api/auth/send-verification-email`, { json: { email: "bad" } });
  } else note("MEASURE_NO_MAIL unset: VERIFICATION_EMAIL_NOT_ENABLED skipped");

  out(`## GET /verify-email (${r.url}; autoSignInAfterVerification false)`);
  const ve = (q) => `${r.url}/api/auth/verify-email${q === undefined ? "" : `?${q}`}`;
  const cbq = (u) => `&callbackURL=${encodeURIComponent(u)}`;
  const userRow = async (id) => (await db.query(`select "emailVerified", "updatedAt" from "user" where "id" = $1`, [id])).rows[0];
  out(`DB: a before: ${JSON.stringify(await userRow(ua.user.id))}`);
  await show("valid token, no callbackURL", "GET", ve(`token=${tokenA}`));
  out(`DB: a after: ${JSON.stringify(await userRow(ua.user.id))}`);
  out();
  await show("the same token again (already verified), no callbackURL", "GET", ve(`token=${tokenA}`));
  await show("the same token again, callbackURL / (the mail's link as sent)", "GET", ve(`token=${tokenA}${cbq("/")}`));
  await show("the same token again, trusted absolute callbackURL", "GET", ve(`token=${tokenA}${cbq(`${ORIGIN}/verified`)}`));
  const c = email("cb");
  const uc = await signUp(r, c);
  const tokenC = await mint({ email: c, userId: uc.user.id });
  await show("valid token (unverified user), trusted callbackURL", "GET", ve(`token=${tokenC}${cbq(`${ORIGIN}/verified?x=1`)}`));
  out(`DB: ${c} after: ${JSON.stringify(await userRow(uc.user.id))}`);
  out();
  const d = email("rel");
  const ud = await signUp(r, d);
  await show("valid token (unverified user), relative callbackURL /welcome", "GET", ve(`token=${await mint({ email: d, userId: ud.user.id })}${cbq("/welcome")}`));
  await show("valid token, the verifying request carries the user's cookie (autoSignIn off)", "GET", ve(`token=${await mint({ email: b, userId: ub.user.id })}`), { headers: { cookie: ub.cookie } });
  const expired = await mint({ email: a, userId: ua.user.id }, { iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 60 });
  await show("expired token, no callbackURL", "GET", ve(`token=${expired}`));
  await show("expired token, trusted callbackURL with a query", "GET", ve(`token=${expired}${cbq(`${ORIGIN}/verified?x=1`)}`));
  await show("expired token, relative callbackURL /", "GET", ve(`token=${expired}${cbq("/")}`));
  const forged = await mint({ email: a, userId: ua.user.id }, { secret: "some-other-secret-0123456789abcdef0123" });
  await show("forged token (another secret), no callbackURL", "GET", ve(`token=${forged}`));
  await show("forged token, trusted callbackURL", "GET", ve(`token=${forged}${cbq(`${ORIGIN}/verified`)}`));
  await show("forged token, untrusted callbackURL", "GET", ve(`token=${forged}${cbq("http://evil.example/v")}`));
  await show("valid token, untrusted callbackURL", "GET", ve(`token=${tokenA}${cbq("http://evil.example/v")}`));
  await show("garbage token", "GET", ve(`token=abc`));
  await show("empty token", "GET", ve(`token=`));
  await show("no token", "GET", ve());
  await show("no token, trusted callbackURL", "GET", ve(`callbackURL=${encodeURIComponent(`${ORIGIN}/v`)}`));
  await show("HS512 token with the right secret", "GET", ve(`token=${await mint({ email: a, userId: ua.user.id }, { alg: "HS512" })}`));
  await show("token for an unknown email", "GET", ve(`token=${await mint({ email: email("nobody") })}`));
  await show("token for an unknown email, trusted callbackURL", "GET", ve(`token=${await mint({ email: email("nobody") })}${cbq(`${ORIGIN}/v`)}`));
  await show("token whose userId is another user's", "GET", ve(`token=${await mint({ email: a, userId: ub.user.id })}`));
  const e = email("nouid");
  const ue = await signUp(r, e);
  await show("token without userId (unverified user)", "GET", ve(`token=${await mint({ email: e })}`));
  out(`DB: ${e} after: ${JSON.stringify(await userRow(ue.user.id))}`);
  out();
  const f = email("upper");
  const uf = await signUp(r, f);
  await show("token whose email claim is upper case", "GET", ve(`token=${await mint({ email: f.toUpperCase(), userId: uf.user.id })}`));
  out(`DB: ${f} after: ${JSON.stringify(await userRow(uf.user.id))}`);
  out();
  await show("token without an email claim", "GET", ve(`token=${await mint({ userId: ua.user.id })}`));
  await show("token without an email claim, trusted callbackURL", "GET", ve(`token=${await mint({ userId: ua.user.id })}${cbq(`${ORIGIN}/v`)}`));
  await show("token with a non-email email claim", "GET", ve(`token=${await mint({ email: "nope" })}`));
  await show("token with an updateTo claim and no userId", "GET", ve(`token=${await mint({ email: a, updateTo: "new@example.com" })}`));
  await show("token without exp", "GET", ve(`token=${await new SignJWT({ email: e }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(SECRET))}`));
  await show("POST verify-email", "POST", ve(`token=${tokenA}`), { json: {} });
}

// ---------------------------------------------------------------------------------------------------------
async function requireVerification() {
  for (const [name, label] of [
    ["VERIFY", "requireEmailVerification + sendOnSignIn + autoSignInAfterVerification"],
    ["VERIFY_BEARER", "the same + bearer()"],
  ]) {
    const r = role(name);
    if (!r) {
      note(`MEASURE_${name} unset: ${label} skipped`);
      continue;
    }
    out(`## ${label} (${r.url})`);
    const addr = email("req");
    let mails = await withMails(r, "sign-up", () =>
      show("sign-up (new email)", "POST", `${r.url}/api/auth/sign-up/email`, { json: { email: addr, password: PASSWORD, name: "Req" } }),
    );
    const { rows } = await db.query(`select "id", "emailVerified" from "user" where "email" = $1`, [addr]);
    const id = rows[0].id;
    out(`DB: ${JSON.stringify(rows[0])}; sessions ${(await db.query(`select count(*)::int n from "session" where "userId"=$1`, [id])).rows[0].n}`);
    out();
    if (mails[0]) showJwt(tokenOfVerifyUrl(mails[0].url), "the sign-up mail");
    const signUpToken = mails[0] && tokenOfVerifyUrl(mails[0].url);
    await withMails(r, "sign-up existing", () =>
      show("sign-up with the same email (existing user)", "POST", `${r.url}/api/auth/sign-up/email`, { json: { email: addr, password: "a different password", name: "Other Name" } }),
    );
    await withMails(r, "sign-up existing, upper case", () =>
      show("sign-up with the same email upper-cased", "POST", `${r.url}/api/auth/sign-up/email`, { json: { email: addr.toUpperCase(), password: PASSWORD, name: "Req" } }),
    );
    await show("sign-up with a short password (new email)", "POST", `${r.url}/api/auth/sign-up/email`, { json: { email: email("short"), password: "short", name: "S" } });
    mails = await withMails(r, "sign-in unverified", () =>
      show("sign-in, unverified, right password", "POST", `${r.url}/api/auth/sign-in/email`, { json: { email: addr, password: PASSWORD } }),
    );
    if (mails[0]) showJwt(tokenOfVerifyUrl(mails[0].url), "the sign-in mail");
    await withMails(r, "sign-in unverified with callbackURL", () =>
      show("sign-in, unverified, with callbackURL /dash", "POST", `${r.url}/api/auth/sign-in/email`, { json: { email: addr, password: PASSWORD, callbackURL: "/dash" } }),
    );
    await withMails(r, "sign-in unverified wrong password", () =>
      show("sign-in, unverified, wrong password", "POST", `${r.url}/api/auth/sign-in/email`, { json: { email: addr, password: "wrong password 1" } }),
    );
    const res = await show("verify-email with the sign-up mail's token, no cookie, no callbackURL", "GET", `${r.url}/api/auth/verify-email?token=${signUpToken}`);
    out(`DB: sessions now ${(await db.query(`select count(*)::int n from "session" where "userId"=$1`, [id])).rows[0].n}`);
    out();
    const cookie = sessionCookieOf(res);
    if (cookie) await show("get-session with the cookie verify-email set", "GET", `${r.url}/api/auth/get-session`, { headers: { cookie }, quietBody: true });
    await show("verify-email again (already verified), no cookie", "GET", `${r.url}/api/auth/verify-email?token=${signUpToken}`);
    // Another user, verified through a link with callbackURL.
    const addr2 = email("req2");
    mails = await withMails(r, "sign-up 2", () => raw("POST", `${r.url}/api/auth/sign-up/email`, { json: { email: addr2, password: PASSWORD, name: "Req2" } }));
    await show("verify-email, the sign-up mail's link as sent (callbackURL %2F)", "GET", mails[0].url);
    const addr3 = email("req3");
    mails = await withMails(r, "sign-up 3", () =>
      raw("POST", `${r.url}/api/auth/sign-up/email`, { json: { email: addr3, password: PASSWORD, name: "Req3", callbackURL: `${ORIGIN}/welcome` } }),
    );
    await show("verify-email, sign-up with callbackURL ORIGIN/welcome: its link as sent", "GET", mails[0].url);
    // Verifying while signed in as someone else (autoSignIn replaces the session?).
    const addr4 = email("req4");
    mails = await withMails(r, "sign-up 4", () => raw("POST", `${r.url}/api/auth/sign-up/email`, { json: { email: addr4, password: PASSWORD, name: "Req4" } }));
    await show("verify-email for user 4 with user 1's cookie", "GET", `${r.url}/api/auth/verify-email?token=${tokenOfVerifyUrl(mails[0].url)}`, { headers: { cookie } });
    const si = await show("sign-in after verification", "POST", `${r.url}/api/auth/sign-in/email`, { json: { email: addr, password: PASSWORD } });
    await show("send-verification-email, signed in and verified", "POST", `${r.url}/api/auth/send-verification-email`, { headers: { cookie: sessionCookieOf(si), origin: ORIGIN }, json: { email: addr } });
    await withMails(r, "send-verification-email anonymous, unverified, requireEmailVerification", async () => {
      const x = email("req5");
      await raw("POST", `${r.url}/api/auth/sign-up/email`, { json: { email: x, password: PASSWORD, name: "Req5" } });
      await show("send-verification-email anonymous for a new unverified user (after its sign-up mail)", "POST", `${r.url}/api/auth/send-verification-email`, { json: { email: x } });
    });
  }

  const q = role("QUIET");
  if (q) {
    out(`## requireEmailVerification, sendOnSignUp false, sendOnSignIn unset (${q.url})`);
    const addr = email("quiet");
    await withMails(q, "sign-up", () => show("sign-up", "POST", `${q.url}/api/auth/sign-up/email`, { json: { email: addr, password: PASSWORD, name: "Q" } }));
    await withMails(q, "sign-in unverified", () => show("sign-in, unverified", "POST", `${q.url}/api/auth/sign-in/email`, { json: { email: addr, password: PASSWORD } }));
    const mails = await withMails(q, "send-verification-email", () => show("send-verification-email", "POST", `${q.url}/api/auth/send-verification-email`, { json: { email: addr } }));
    await show("verify-email (no autoSignIn)", "GET", `${q.url}/api/auth/verify-email?token=${tokenOfVerifyUrl(mails[0].url)}`);
    const s = await signIn(q, addr);
    out(`sign-in after verification: ${s.status} ${s.text.slice(0, 80)}…`);
    out();
  } else note("MEASURE_QUIET unset: sendOnSignUp:false skipped");

  const g = role("REQUIRE_NO_MAIL");
  if (g) {
    out(`## requireEmailVerification without sendVerificationEmail (${g.url})`);
    const addr = email("nomailreq");
    await show("sign-up", "POST", `${g.url}/api/auth/sign-up/email`, { json: { email: addr, password: PASSWORD, name: "G" } });
    await show("sign-in, unverified", "POST", `${g.url}/api/auth/sign-in/email`, { json: { email: addr, password: PASSWORD } });
    await show("verify-email with a minted token (verification works without a mailer)", "GET", `${g.url}/api/auth/verify-email?token=${await mint({ email: addr })}`);
    const s = await signIn(g, addr);
    out(`sign-in after verification: ${s.status}`);
    out();
  } else note("MEASURE_REQUIRE_NO_MAIL unset: skipped");
}

// ---------------------------------------------------------------------------------------------------------
async function errorPage() {
  for (const name of ["PLAIN", "PROD"]) {
    const r = role(name);
    if (!r) {
      note(`MEASURE_${name} unset: /error skipped there`);
      continue;
    }
    out(`## GET /error (${name}: ${r.url})`);
    await show("error=INVALID_TOKEN", "GET", `${r.url}/api/auth/error?error=INVALID_TOKEN`, { quietBody: true });
    await show("no error", "GET", `${r.url}/api/auth/error`, { quietBody: true });
    await show("error=<script> (unsafe)", "GET", `${r.url}/api/auth/error?error=%3Cscript%3E`, { quietBody: true });
    await show("error + error_description", "GET", `${r.url}/api/auth/error?error=INVALID_TOKEN&error_description=a%20b%3Cc`, { quietBody: true });
    if (name === "PLAIN") {
      const r2 = await raw("GET", `${r.url}/api/auth/error?error=INVALID_TOKEN`);
      out(`dev page: ${r2.text.length} chars; <title>${/<title>(.*?)<\/title>/.exec(r2.text)?.[1]}</title>; mentions INVALID_TOKEN ${r2.text.split("INVALID_TOKEN").length - 1} times`);
      out();
    }
  }
  const p = role("PROD");
  if (p) {
    out(`## rate limits in production (${p.url})`);
    for (let i = 1; i <= 4; i++) await show(`request-password-reset #${i} (unknown email)`, "POST", `${p.url}/api/auth/request-password-reset`, { json: { email: email("rl") } });
    for (let i = 1; i <= 4; i++) await show(`send-verification-email #${i} (unknown email)`, "POST", `${p.url}/api/auth/send-verification-email`, { json: { email: email("rl") } });
    for (let i = 1; i <= 4; i++) await show(`POST reset-password #${i} (unknown token)`, "POST", `${p.url}/api/auth/reset-password`, { json: { newPassword: "long enough pw", token: "unknownunknownunknown123" } });
    for (let i = 1; i <= 4; i++) await show(`GET verify-email #${i} (garbage)`, "GET", `${p.url}/api/auth/verify-email?token=abc`);
  }
}

const only = process.argv[2];
const parts = { passwordReset, sendVerification, requireVerification, errorPage };
try {
  for (const [k, fn] of Object.entries(parts)) if (!only || only === k) await fn();
} finally {
  await db.end();
}
