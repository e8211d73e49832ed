// A real Better Auth server (the reference config) for the shared-database tests and for measuring the protocol.
//
// Env: BETTER_AUTH_URL (baseURL), BETTER_AUTH_SECRET, DATABASE_URL, TRUSTED_ORIGINS (comma-separated,
//      optional), PORT (default 3005), HOST (default 127.0.0.1).
// Flags:
//   --migrate       create/upgrade Better Auth's tables with its own migrator before listening
//                   (never done without this flag: the database may belong to our Rust API)
//   --migrate-only  the same, then exit
//   --bearer        add the bearer() plugin (not in the reference config; for measurements)
//   --argon2        also verify argon2id hashes ("$argon2…", as written by our Rust API) on sign-in;
//                   new hashes stay Better Auth's scrypt
// Rate limiting follows Better Auth's own rule: on only when NODE_ENV=production.
import http from "node:http";
import { readFileSync } from "node:fs";
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

const plugins = [jwt()];
if (args.has("--bearer")) plugins.push(bearer());

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

const pool = new pg.Pool({ connectionString: databaseURL });
const options = {
  baseURL,
  secret,
  database: pool,
  trustedOrigins,
  emailAndPassword,
  plugins,
};
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
  console.log(`better-auth ${version} listening on http://${host}:${port} (baseURL ${baseURL}, plugins ${names})`);
});

function shutdown() {
  server.close(() => pool.end().finally(() => process.exit(0)));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
