// The pieces of seed-configs.test.mjs: fixtures, the servers it starts, one request as both sides answer it,
// and the normaliser that makes two servers' answers comparable.
//
// A normalised answer is { status, contentType, body, cookies, authJwt }:
//   body      the JSON body (or { "<text>": "…" } when it is not JSON), with
//             - id-like values (keys id, userId, token, sub, kid; JSON Web Key x) replaced by labels "<id#3/32>":
//               one label per distinct value (numbered in order of first appearance, on each side separately), with
//               the value's length, so equal values stay equal (user.id = session.userId = the JWT's sub) and a
//               different shape shows;
//             - timestamps (keys createdAt, updatedAt, expiresAt) that are ISO strings as JavaScript prints them
//               (2026-01-02T03:04:05.678Z) replaced by "<timestamp>", and an expiresAt beside a createdAt by
//               "<createdAt+604800s>" (the lifetime, rounded to the second); any other format stays as it is;
//             - JWTs (any string of three base64url parts) decoded: { "<jwt>": { header, claims, lifetime } } with
//               the claims normalised as a body, iat/exp/nbf as "<numeric-date>", lifetime = exp − iat, and the
//               header's and the claims' keys sorted (their order means nothing);
//             - the server's own origin (its BETTER_AUTH_URL) in any string replaced by "<origin>".
//             Other values (emails, names, the additional fields, a birthday) stay exact. Key sets stay exact, and
//             diff() also reports a different key order.
//   cookies   the Set-Cookie headers parsed: { name, value, attributes } sorted by name, attribute names lowercased
//             and SameSite's value too; value "" stays "", a signed value (<v>.<44-char signature>) becomes
//             "<signed <label of v>>" (v itself when it is short and not an id, e.g. "true"), anything else
//             "<value/length>"; Expires becomes "<http-date>".
//   authJwt   the set-auth-jwt header, decoded like a JWT in a body (null when absent).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, readdirSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { parseSetCookie } from "./fetch-with-cookies.mjs";

const E2E_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const SEEDS_DIR = path.join(E2E_DIR, "seeds");

export const PASSWORD = "correct horse battery staple";
export const ORIGIN = process.env.ORIGIN || "http://localhost:3000";
const JWT_RE = /^[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}$/;
const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const ID_KEYS = new Set(["id", "userId", "token", "sub", "kid", "jti"]);
const TIME_KEYS = new Set(["createdAt", "updatedAt", "expiresAt"]);
const NUMERIC_DATE_KEYS = new Set(["iat", "exp", "nbf"]);

// ---------------------------------------------------------------------------------------------- fixtures

/** Every fixture in e2e/seeds/, sorted by name: { name, file, ...json }. */
export function loadFixtures(dir = SEEDS_DIR) {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const json = JSON.parse(readFileSync(path.join(dir, f), "utf8"));
      const name = f.replace(/\.json$/, "");
      for (const key of ["authTs", "ours", "steps"]) if (!(key in json)) throw new Error(`seeds/${f}: no "${key}"`);
      return { name, file: `seeds/${f}`, ...json };
    });
}

/** The environment a fixture's `ours` stands for: BETTER_AUTH_OPTIONS as a JSON string, the rest as given. */
export function oursEnv(ours) {
  const env = {};
  for (const [k, v] of Object.entries(ours)) {
    if (k.startsWith("//")) continue;
    env[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return env;
}

/**
 * For the self-check (a stock server standing in for our API): the port taken back to Better Auth's options,
 * i.e. ours.BETTER_AUTH_OPTIONS with SAME_SITE as advanced.defaultCookieAttributes.sameSite. Proves that the
 * ported JSON is itself a Better Auth configuration that answers like authTs.
 */
export function oursAsAuthTs(ours) {
  const options = structuredClone(ours.BETTER_AUTH_OPTIONS ?? {});
  if (ours.SAME_SITE) {
    options.advanced ??= {};
    options.advanced.defaultCookieAttributes = { ...(options.advanced.defaultCookieAttributes ?? {}), sameSite: ours.SAME_SITE.toLowerCase() };
  }
  const other = Object.keys(ours).filter((k) => !k.startsWith("//") && k !== "BETTER_AUTH_OPTIONS" && k !== "SAME_SITE");
  if (other.length) throw new Error(`no Better Auth option stands for ${other.join(", ")}`);
  return options;
}

/** Replaces "{{email:tag}}" (→ tag-<run>@Example.COM) and "{{password}}" in every string of `value`. */
export function fillTemplate(value, run) {
  if (typeof value === "string") {
    return value
      .replace(/\{\{email:([A-Za-z0-9-]+)\}\}/g, (_, tag) => `${tag}-${run}@Example.COM`)
      .replace(/\{\{password\}\}/g, PASSWORD);
  }
  if (Array.isArray(value)) return value.map((v) => fillTemplate(v, run));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillTemplate(v, run)]));
  return value;
}

// ---------------------------------------------------------------------------------------------- servers

export async function freePort() {
  const srv = net.createServer();
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** A database URL for `name` in the cluster of `clusterUrl`. */
export function databaseUrl(clusterUrl, name) {
  const u = new URL(clusterUrl);
  u.pathname = `/${name}`;
  return u.href;
}

/** Creates databases in the cluster and drops them again (WITH (FORCE): servers may still hold connections). */
export class Databases {
  constructor(clusterUrl, pg) {
    this.clusterUrl = clusterUrl;
    this.pg = pg;
    this.names = [];
  }
  async create(name) {
    const client = new this.pg.Client({ connectionString: this.clusterUrl });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } finally {
      await client.end();
    }
    this.names.push(name);
    return databaseUrl(this.clusterUrl, name);
  }
  async dropAll() {
    if (!this.names.length) return;
    const client = new this.pg.Client({ connectionString: this.clusterUrl });
    await client.connect();
    try {
      for (const name of this.names.splice(0)) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  }
}

/** A child process whose output is kept (for the failure message) and which stops with `stop()`. */
class Server {
  constructor(label, command, args, env, cwd) {
    this.label = label;
    this.log = "";
    this.child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.child.once("exit", (code, signal) => resolve({ code, signal })));
    for (const s of [this.child.stdout, this.child.stderr]) s.on("data", (d) => (this.log += d));
    Server.all.add(this);
  }
  static all = new Set();
  /** Resolves when `pattern` shows in the output; rejects (with the output) when the process exits or after `ms`. */
  async ready(pattern, ms = 30_000) {
    const started = Date.now();
    let exited = null;
    this.exited.then((e) => (exited = e));
    while (!pattern.test(this.log)) {
      if (exited) throw new Error(`${this.label} exited (${JSON.stringify(exited)}) before it listened:\n${this.tail()}`);
      if (Date.now() - started > ms) throw new Error(`${this.label} did not listen within ${ms / 1000} s:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this;
  }
  tail(lines = 40) {
    return this.log.split("\n").slice(-lines).join("\n");
  }
  async stop() {
    Server.all.delete(this);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}
/** Stops every server still running. */
export function stopAll() {
  return Promise.all([...Server.all].map((s) => s.stop()));
}
// A test that throws past its own cleanup must still not leave servers behind.
process.on("exit", () => {
  for (const s of Server.all) s.child.kill("SIGKILL");
});

/**
 * A server's whole environment: `extra` and only these of ours, so that nothing a caller exported (scripts/e2e.sh
 * exports DATABASE_URL, BETTER_AUTH_SECRET, TRUSTED_ORIGINS…) configures it by accident.
 */
const PASSED_ON = ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ", "RUST_BACKTRACE"];
function baseEnv(extra) {
  const env = {};
  for (const k of PASSED_ON) if (process.env[k] !== undefined) env[k] = process.env[k];
  return { ...env, ...extra };
}

/**
 * A stock Better Auth server (better-auth-server.mjs --migrate) with `options` as BETTER_AUTH_OPTIONS.
 * Returns { url, baseURL, server }: requests go to url (127.0.0.1); baseURL (BETTER_AUTH_URL) has `host`.
 */
export async function startStock({ label, databaseUrl, secret, options, migrate = true, host = "127.0.0.1" }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const baseURL = `http://${host}:${port}`;
  const server = new Server(
    label,
    process.execPath,
    ["better-auth-server.mjs", ...(migrate ? ["--migrate"] : [])],
    baseEnv({
      DATABASE_URL: databaseUrl,
      BETTER_AUTH_SECRET: secret,
      BETTER_AUTH_URL: baseURL,
      TRUSTED_ORIGINS: ORIGIN,
      PORT: String(port),
      BETTER_AUTH_OPTIONS: JSON.stringify(options),
    }),
    E2E_DIR,
  );
  await server.ready(/listening on/);
  return { url, baseURL, server };
}

/**
 * Our local-api (LOCAL_API_BIN) with the fixture's env: its migrations run at start (and add the configured
 * additional-field columns); sign-in/up limited to 1000 per 10 s, so the sequences never wait.
 */
export async function startOurs({ label, bin, databaseUrl, secret, env, host = "127.0.0.1" }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const baseURL = `http://${host}:${port}`;
  const outbox = mkdtempSync(path.join(os.tmpdir(), "seeds-outbox-"));
  const server = new Server(
    label,
    bin,
    [],
    baseEnv({
      DATABASE_URL: databaseUrl,
      BETTER_AUTH_SECRET: secret,
      BETTER_AUTH_URL: baseURL,
      CORS_ORIGINS: ORIGIN,
      PORT: String(port),
      RUST_LOG: "info",
      EMAIL_OUTBOX_DIR: outbox,
      AUTH_RATE_LIMIT_MAX: "1000",
      AUTH_RATE_LIMIT_WINDOW_SECONDS: "10",
      ...env,
    }),
  );
  const stop = server.stop.bind(server);
  server.stop = async () => {
    await stop();
    rmSync(outbox, { recursive: true, force: true });
  };
  await server.ready(/local API on/);
  return { url, baseURL, server };
}

export function randomRun() {
  return randomBytes(4).toString("hex");
}

export function randomSecret() {
  return `seeds-${randomBytes(24).toString("hex")}`;
}

// ---------------------------------------------------------------------------------------------- requests

/** The cookies of one side: jars by name, each a Map name → value (every request goes to one host). */
export class Jars {
  #jars = new Map();
  get(name) {
    if (!this.#jars.has(name)) this.#jars.set(name, new Map());
    return this.#jars.get(name);
  }
  /** A copy of jar `from` as jar `to` (to replay a cookie after it was replaced or expired). */
  copy(from, to) {
    this.#jars.set(to, new Map(this.get(from)));
  }
  static header(jar) {
    return [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  static store(jar, setCookies) {
    for (const h of setCookies) {
      const c = parseSetCookie(h);
      if (!c.name) continue;
      const maxAge = c.attributes["max-age"];
      if (maxAge !== undefined && Number(maxAge) <= 0) jar.delete(c.name);
      else jar.set(c.name, c.value);
    }
  }
}

/**
 * Sends `step` (filled) to `baseUrl` with the cookies of jar `step.jar` (default "default"), keeps the cookies it
 * sets, and returns the raw answer { status, contentType, text, setCookies, authJwt }.
 */
export async function send(baseUrl, jars, step) {
  if (step.snapshot) jars.copy(step.jar ?? "default", step.snapshot);
  const jar = jars.get(step.jar ?? "default");
  const method = (step.method ?? "GET").toUpperCase();
  const headers = {
    "user-agent": "seeds-e2e",
    // Better Auth takes the client address from x-forwarded-for only; our API from the socket (127.0.0.1).
    "x-forwarded-for": "127.0.0.1",
    ...(method !== "GET" && method !== "HEAD" ? { origin: ORIGIN } : {}),
    ...(step.body !== undefined ? { "content-type": "application/json" } : {}),
    ...(step.headers ?? {}),
  };
  const cookie = Jars.header(jar);
  if (cookie) headers.cookie = cookie;
  const response = await fetch(`${baseUrl}/api/auth${step.path}`, {
    method,
    headers,
    body: step.body === undefined ? undefined : JSON.stringify(step.body),
    redirect: "manual",
  });
  const text = await response.text();
  const setCookies = response.headers.getSetCookie();
  Jars.store(jar, setCookies);
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    text,
    setCookies,
    authJwt: response.headers.get("set-auth-jwt"),
  };
}

// ---------------------------------------------------------------------------------------------- normalising

/** Labels volatile values: the same value gets the same label on every call (one Labeler per side). */
export class Labeler {
  #labels = new Map();
  #count = 0;
  /** A copy whose labels do not count here (for an answer whose values the other side does not have). */
  fork() {
    const copy = new Labeler();
    copy.#labels = new Map(this.#labels);
    copy.#count = this.#count;
    return copy;
  }
  label(kind, value) {
    if (!this.#labels.has(value)) this.#labels.set(value, `<${kind}#${++this.#count}/${String(value).length}>`);
    return this.#labels.get(value);
  }
  has(value) {
    return this.#labels.has(value);
  }
}

function decodePart(part) {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

/** A JWT decoded and normalised; a string that only looks like one stays as it is. */
function normaliseJwt(token, ctx) {
  let header, claims;
  try {
    const [h, c] = token.split(".");
    header = decodePart(h);
    claims = decodePart(c);
  } catch {
    return null;
  }
  const lifetime = typeof claims.exp === "number" && typeof claims.iat === "number" ? claims.exp - claims.iat : null;
  // Claim order means nothing in a JWT: sorted, so that only the key sets are compared.
  return { "<jwt>": { header: sortKeys(normaliseValue(header, ctx)), claims: sortKeys(normaliseValue(claims, ctx)), lifetime } };
}

function normaliseString(key, value, ctx) {
  if (JWT_RE.test(value)) {
    const jwt = normaliseJwt(value, ctx);
    if (jwt) return jwt;
  }
  if (ID_KEYS.has(key) || (key === "x" && ctx.inJwk)) return ctx.labeler.label(key === "x" ? "key" : key, value);
  if (TIME_KEYS.has(key) && ISO_RE.test(value)) return "<timestamp>";
  return ctx.origin ? value.split(ctx.origin).join("<origin>") : value;
}

function normaliseValue(value, ctx, key = "") {
  if (Array.isArray(value)) return value.map((v) => normaliseValue(v, ctx, key));
  if (value && typeof value === "object") {
    const inJwk = typeof value.kty === "string";
    const sub = { ...ctx, inJwk };
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = normaliseValue(v, sub, k);
    // A session's (or any row's) lifetime instead of two timestamps.
    if (typeof value.expiresAt === "string" && typeof value.createdAt === "string" && ISO_RE.test(value.expiresAt) && ISO_RE.test(value.createdAt)) {
      out.expiresAt = `<createdAt+${Math.round((Date.parse(value.expiresAt) - Date.parse(value.createdAt)) / 1000)}s>`;
    }
    return out;
  }
  if (typeof value === "string") return normaliseString(key, value, ctx);
  if (typeof value === "number" && NUMERIC_DATE_KEYS.has(key)) return "<numeric-date>";
  return value;
}

function normaliseCookieValue(value, ctx) {
  if (value === "") return "";
  let decoded = value;
  try {
    decoded = decodeURIComponent(value);
  } catch {}
  const dot = decoded.lastIndexOf(".");
  if (dot > 0 && /^[A-Za-z0-9+/]{43}=$/.test(decoded.slice(dot + 1))) {
    const v = decoded.slice(0, dot);
    const shown = ctx.labeler.has(v) || v.length >= 16 ? ctx.labeler.label("token", v) : JSON.stringify(v);
    return `<signed ${shown}>`;
  }
  if (JWT_RE.test(decoded)) return normaliseJwt(decoded, ctx) ?? `<value/${value.length}>`;
  return `<value/${value.length}>`;
}

export function normaliseCookie(header, ctx) {
  const c = parseSetCookie(header);
  const attributes = {};
  for (const [k, v] of Object.entries(c.attributes)) {
    if (k === "expires") attributes[k] = "<http-date>";
    else if (k === "samesite" && typeof v === "string") attributes[k] = v.toLowerCase();
    else attributes[k] = v;
  }
  return { name: c.name, value: normaliseCookieValue(c.value, ctx), attributes: sortKeys(attributes) };
}

function sortKeys(o) {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** One raw answer (from `send`) normalised; `ctx` = { labeler, origin } of that side. */
export function normaliseAnswer(raw, ctx) {
  let body;
  if (raw.text === "") body = "<empty>";
  else {
    try {
      body = normaliseValue(JSON.parse(raw.text), ctx);
    } catch {
      body = { "<text>": raw.text };
    }
  }
  const cookies = raw.setCookies.map((h) => normaliseCookie(h, ctx));
  cookies.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    status: raw.status,
    contentType: raw.contentType ? raw.contentType.split(";")[0].trim() : null,
    body,
    cookies,
    authJwt: raw.authJwt ? normaliseJwt(raw.authJwt, ctx) ?? "<not a JWT>" : null,
  };
}

// ---------------------------------------------------------------------------------------------- diff

/** Every difference between `a` (ours) and `b` (Better Auth) as lines "path: ours … ≠ Better Auth …". */
export function diff(a, b, at = "") {
  const show = (v) => (v === undefined ? "(absent)" : JSON.stringify(v));
  if (Object.is(a, b)) return [];
  const bothObjects = a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) return [`${at || "(root)"}: ours ${show(a)} ≠ Better Auth ${show(b)}`];
  const out = [];
  if (Array.isArray(a)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(...diff(a[i], b[i], `${at}[${i}]`));
    return out;
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const k of keys) out.push(...diff(a[k], b[k], at ? `${at}.${k}` : k));
  // JSON key order (Better Auth's is its schema's: the additional fields after updatedAt, id last) is compared too,
  // once the key sets are equal.
  const [ka, kb] = [Object.keys(a), Object.keys(b)];
  if (ka.length === kb.length && ka.every((k) => k in b) && ka.join() !== kb.join())
    out.push(`${at || "(root)"}: key order: ours ${ka.join(",")} ≠ Better Auth ${kb.join(",")}`);
  return out;
}
