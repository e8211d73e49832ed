// A real Better Auth server (the reference config) for the shared-database tests and for measuring the protocol.
//
// Env: BETTER_AUTH_URL (baseURL), BETTER_AUTH_SECRET, DATABASE_URL, TRUSTED_ORIGINS (comma-separated,
//      optional), PORT (default 3005), HOST (default 127.0.0.1),
//      EMAIL_OUTBOX_DIR (optional): configure emailAndPassword.sendResetPassword and
//        emailVerification.sendVerificationEmail, each writing one JSON file per mail there,
//        {"to","subject","text","html","url"}, named <13-digit unix ms>-<random hex>.json (written to a
//        dot-file first, then renamed, so a reader never sees half a mail). Without it, neither callback
//        exists (request-password-reset answers RESET_PASSWORD_DISABLED, send-verification-email
//        VERIFICATION_EMAIL_NOT_ENABLED), as in the reference config.
//      BETTER_AUTH_OPTIONS (optional): one JSON object, in auth.ts's names and nesting, deep-merged over the
//        options built here (objects merge key by key, anything else replaces), e.g.
//        {"emailAndPassword":{"requireEmailVerification":true},"emailVerification":{"sendOnSignIn":true}}.
//        Our Rust API reads the same variable, so one value configures both servers. JSON cannot hold a
//        callback, so `true` for user.changeEmail.sendChangeEmailConfirmation or
//        user.deleteUser.sendDeleteAccountVerification means "the callback exists": with EMAIL_OUTBOX_DIR set it
//        becomes one that writes the mail to the outbox (to the user's current address, as our API does);
//        without EMAIL_OUTBOX_DIR the server refuses to start. Nor can it hold plugin objects, so its `plugins`
//        is an object keyed by plugin id, each value that plugin's options:
//        {"plugins":{"jwt":{"jwt":{"expirationTime":"1h","issuer":"…","audience":"…"}}}} becomes
//        plugins: [jwt({jwt:{…}})]. jwt() is always added (with its defaults unless configured there); the
//        ids known are jwt and bearer (= --bearer); any other stops the server.
// Flags:
//   --migrate       create/upgrade Better Auth's tables with its own migrator before listening
//                   (never done without this flag: the database may belong to our Rust API)
//   --migrate-only  the same, then exit
//   --bearer        add the bearer() plugin (not in the reference config; for measurements)
//   --argon2        also verify argon2id hashes ("$argon2…", as written by our Rust API) on sign-in;
//                   new hashes stay Better Auth's scrypt
// Rate limiting follows Better Auth's own rule: on only when NODE_ENV=production.
import http from "node:http";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { betterAuth } from "better-auth";
import { toNodeHandler } from "better-auth/node";
import { jwt, bearer } from "better-auth/plugins";
import { getMigrations } from "better-auth/db/migration";
import { hashPassword, verifyPassword } from "better-auth/crypto";

const args = new Set(process.argv.slice(2));
const known = new Set(["--migrate", "--migrate-only", "--bearer", "--argon2"]);
for (const a of args) {
  if (!known.has(a)) {
    console.error(`better-auth-server: unknown argument ${a} (known: ${[...known].join(" ")})`);
    process.exit(2);
  }
}

function requireEnv(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`better-auth-server: ${name} is not set`);
    process.exit(2);
  }
  return v;
}

const baseURL = requireEnv("BETTER_AUTH_URL");
const secret = requireEnv("BETTER_AUTH_SECRET");
const databaseURL = requireEnv("DATABASE_URL");
const port = Number(process.env.PORT || 3005);
const host = process.env.HOST || "127.0.0.1";
const trustedOrigins = (process.env.TRUSTED_ORIGINS || "")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);

let extraOptions = {};
if (process.env.BETTER_AUTH_OPTIONS) {
  try {
    extraOptions = JSON.parse(process.env.BETTER_AUTH_OPTIONS);
  } catch (e) {
    console.error(`better-auth-server: BETTER_AUTH_OPTIONS is not JSON: ${e.message}`);
    process.exit(2);
  }
  if (!isPlainObject(extraOptions)) {
    console.error("better-auth-server: BETTER_AUTH_OPTIONS must be a JSON object");
    process.exit(2);
  }
}

function isPlainObject(v) {
  return v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype;
}

/** `over` merged into `base`: plain objects key by key, any other value replaces. Returns a new object. */
function deepMerge(base, over) {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlainObject(v) && isPlainObject(base[k]) ? deepMerge(base[k], v) : v;
  return out;
}

const outboxDir = process.env.EMAIL_OUTBOX_DIR || "";
if (outboxDir) mkdirSync(outboxDir, { recursive: true });

function escapeHtml(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** One mail as one file in EMAIL_OUTBOX_DIR; sorting the names sorts the mails by time. */
function writeMail({ to, subject, text, html, url }) {
  const name = `${String(Date.now()).padStart(13, "0")}-${randomBytes(8).toString("hex")}.json`;
  const tmp = path.join(outboxDir, `.${name}.tmp`);
  writeFileSync(tmp, JSON.stringify({ to, subject, text, html, url }, null, 2) + "\n");
  renameSync(tmp, path.join(outboxDir, name));
}

// BETTER_AUTH_OPTIONS.plugins is not auth.ts's array (JSON holds no plugin objects) but an object keyed by plugin
// id, each value that plugin's options: {"plugins":{"jwt":{"jwt":{"expirationTime":"1h"}}}} is
// plugins: [jwt({jwt:{expirationTime:"1h"}})]. jwt() is always there (with its defaults unless configured);
// an unknown id stops the server.
const pluginFactories = { jwt, bearer };
const printedOptions = JSON.stringify(extraOptions);
const pluginOptions = extraOptions.plugins ?? {};
delete extraOptions.plugins;
if (!isPlainObject(pluginOptions)) {
  console.error('better-auth-server: BETTER_AUTH_OPTIONS.plugins must be an object keyed by plugin id, e.g. {"jwt":{"jwt":{"expirationTime":"1h"}}}');
  process.exit(2);
}
for (const [id, value] of Object.entries(pluginOptions)) {
  if (!Object.hasOwn(pluginFactories, id)) {
    console.error(
      `better-auth-server: BETTER_AUTH_OPTIONS.plugins.${id}: unknown plugin (known: ${Object.keys(pluginFactories).join(", ")})`,
    );
    process.exit(2);
  }
  if (!isPlainObject(value)) {
    console.error(`better-auth-server: BETTER_AUTH_OPTIONS.plugins.${id} must be an object (the plugin's options)`);
    process.exit(2);
  }
}
const plugins = [jwt(pluginOptions.jwt)];
if (args.has("--bearer") || pluginOptions.bearer) plugins.push(bearer(pluginOptions.bearer));

const emailAndPassword = { enabled: true };
if (args.has("--argon2")) {
  // Loaded only when asked, so the reference config does not depend on a native module.
  const argon2 = await import("@node-rs/argon2");
  emailAndPassword.password = {
    hash: (password) => hashPassword(password),
    verify: ({ hash, password }) =>
      hash.startsWith("$argon2") ? argon2.verify(hash, password) : verifyPassword({ hash, password }),
  };
}

let emailVerification;
if (outboxDir) {
  emailAndPassword.sendResetPassword = async ({ user, url }) =>
    writeMail({
      to: user.email,
      subject: "Reset your password",
      text: `Open this link to choose a new password:\n${url}\n`,
      html: `<p><a href="${escapeHtml(url)}">Choose a new password</a></p>`,
      url,
    });
  emailVerification = {
    sendVerificationEmail: async ({ user, url }) =>
      writeMail({
        to: user.email,
        subject: "Verify your email address",
        text: `Open this link to verify your email address:\n${url}\n`,
        html: `<p><a href="${escapeHtml(url)}">Verify your email address</a></p>`,
        url,
      }),
  };
}

const pool = new pg.Pool({ connectionString: databaseURL });
const options = deepMerge(
  {
    baseURL,
    secret,
    database: pool,
    trustedOrigins,
    emailAndPassword,
    ...(emailVerification ? { emailVerification } : {}),
    plugins,
  },
  structuredClone(extraOptions), // a copy: the `true`s below are replaced in place
);

// `true` in BETTER_AUTH_OPTIONS for a mail callback: the outbox writer (both go to the user's current address:
// the change-email confirmation to the OLD one, before anything changed).
const mailCallbacks = [
  [
    ["user", "changeEmail", "sendChangeEmailConfirmation"],
    ({ user, newEmail, url }) =>
      writeMail({
        to: user.email,
        subject: "Approve the change of your email address",
        text: `Open this link to change your email address to ${newEmail}:\n${url}\n`,
        html: `<p><a href="${escapeHtml(url)}">Change your email address to ${escapeHtml(newEmail)}</a></p>`,
        url,
      }),
  ],
  [
    ["user", "deleteUser", "sendDeleteAccountVerification"],
    ({ user, url }) =>
      writeMail({
        to: user.email,
        subject: "Confirm the deletion of your account",
        text: `Open this link to delete your account:\n${url}\n`,
        html: `<p><a href="${escapeHtml(url)}">Delete your account</a></p>`,
        url,
      }),
  ],
];
for (const [keys, callback] of mailCallbacks) {
  const parent = keys.slice(0, -1).reduce((o, k) => (isPlainObject(o?.[k]) ? o[k] : undefined), options);
  const last = keys[keys.length - 1];
  if (parent?.[last] !== true) continue;
  if (!outboxDir) {
    console.error(`better-auth-server: BETTER_AUTH_OPTIONS sets ${keys.join(".")} to true, which needs EMAIL_OUTBOX_DIR (where the mails go)`);
    process.exit(2);
  }
  parent[last] = async (data) => callback(data);
}
const auth = betterAuth(options);

if (args.has("--migrate") || args.has("--migrate-only")) {
  const { toBeCreated, toBeAdded, runMigrations } = await getMigrations(auth.options);
  await runMigrations();
  const what = [...toBeCreated.map((t) => `+${t.table}`), ...toBeAdded.map((t) => `~${t.table}`)];
  console.log(`better-auth-server: migrations done (${what.length ? what.join(" ") : "nothing to do"})`);
  if (args.has("--migrate-only")) {
    await pool.end();
    process.exit(0);
  }
}

let version = "?";
try {
  version = JSON.parse(
    readFileSync(new URL("./node_modules/better-auth/package.json", import.meta.url), "utf8"),
  ).version;
} catch {}
const server = http.createServer(toNodeHandler(auth));
server.listen(port, host, () => {
  const names = plugins.map((p) => p.id).join(",") + (args.has("--argon2") ? " +argon2" : "");
  const extras = [
    outboxDir && `outbox ${outboxDir}`,
    process.env.BETTER_AUTH_OPTIONS && `options ${printedOptions}`,
  ].filter(Boolean);
  console.log(
    `better-auth ${version} listening on http://${host}:${port} (baseURL ${options.baseURL}, plugins ${names}` +
      `${extras.map((e) => `, ${e}`).join("")})`,
  );
});

function shutdown() {
  server.close(() => pool.end().finally(() => process.exit(0)));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
