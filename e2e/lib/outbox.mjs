// Reading the mails a server wrote to its outbox directory (EMAIL_OUTBOX_DIR): one JSON file per mail,
// {"to","subject","text","html","url"}, named <13-digit unix ms>-<random>.json, so sorted names are in time order.
// Both better-auth-server.mjs and our Rust API write this format. Files whose names do not end in .json (a
// writer's temporary file) are ignored; a .json file that does not parse yet is retried until the timeout.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const MAIL_NAME_RE = /^\d{13}-[A-Za-z0-9_-]+\.json$/;
export const MAIL_KEYS = ["html", "subject", "text", "to", "url"];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Outbox {
  /** @param {string} dir @param {string} label names the server in messages, e.g. "our API" */
  constructor(dir, label = dir) {
    this.dir = dir;
    this.label = label;
  }

  /** The mail file names, sorted (= by time). A missing directory counts as empty. */
  names() {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((n) => n.endsWith(".json") && !n.startsWith("."))
      .sort();
  }

  /** A checkpoint: the names present now. Pass it as `since` to see only later mails. */
  mark() {
    return new Set(this.names());
  }

  #read(name) {
    try {
      return { name, ...JSON.parse(readFileSync(path.join(this.dir, name), "utf8")) };
    } catch {
      return null; // not fully written yet
    }
  }

  /** Mails written after `since` (all when omitted), oldest first; unparsable files are reported as null. */
  mailsSince(since = new Set()) {
    return this.names()
      .filter((n) => !since.has(n))
      .map((n) => this.#read(n) ?? { name: n, unparsable: true });
  }

  /**
   * Waits until `count` mails to `to` (compared case-insensitively) were written after `since`, and returns
   * exactly those (oldest first). Fails with the outbox's recent contents when they do not come in time.
   */
  async waitFor({ to, since, count = 1, timeoutMs = 5000, what = `mail to ${to}` }) {
    const deadline = Date.now() + timeoutMs;
    const want = to.toLowerCase();
    for (;;) {
      const all = this.mailsSince(since);
      const mine = all.filter((m) => !m.unparsable && String(m.to).toLowerCase() === want);
      if (mine.length >= count && !all.some((m) => m.unparsable)) {
        assert.equal(mine.length, count, `${what}: expected ${count} new mail(s) to ${want} in ${this.label}'s outbox, found ${mine.length}`);
        return mine;
      }
      if (Date.now() > deadline) {
        const seen = all.map((m) => (m.unparsable ? `${m.name} (unparsable)` : `${m.name} to ${m.to}`));
        assert.fail(
          `${what}: expected ${count} new mail(s) to ${want} in ${this.label}'s outbox ${this.dir} within ${timeoutMs} ms, ` +
            `found ${mine.length}; new files: ${seen.length ? seen.join(", ") : "none"}`,
        );
      }
      await sleep(50);
    }
  }

  /** Waits `waitMs` and asserts that no mail to `to` was written after `since`. */
  async expectNone({ to, since, waitMs = 500, what = `no mail to ${to}` }) {
    await sleep(waitMs);
    const want = to.toLowerCase();
    const mine = this.mailsSince(since).filter((m) => m.unparsable || String(m.to).toLowerCase() === want);
    assert.deepEqual(
      mine.map((m) => m.name),
      [],
      `${what}: ${this.label} wrote ${mine.length} mail(s) to ${want}: ${JSON.stringify(mine.map((m) => m.subject ?? m.name))}`,
    );
  }
}

/** Checks one mail against the outbox contract (file name, keys, string fields, addressee). */
export function checkMailShape(mail, { to, what = "mail" } = {}) {
  assert.match(mail.name, MAIL_NAME_RE, `${what}: file name ${mail.name} is not <13-digit unix ms>-<random>.json`);
  const ms = Number(mail.name.slice(0, 13));
  assert.ok(Math.abs(ms - Date.now()) < 10 * 60_000, `${what}: file name time ${new Date(ms).toISOString()} is not now`);
  assert.deepEqual(
    Object.keys(mail)
      .filter((k) => k !== "name")
      .sort(),
    MAIL_KEYS,
    `${what}: the mail's keys`,
  );
  for (const k of MAIL_KEYS) assert.equal(typeof mail[k], "string", `${what}: "${k}" must be a string, got ${JSON.stringify(mail[k])}`);
  if (to !== undefined) assert.equal(mail.to, to.toLowerCase(), `${what}: "to" must be the user's (lower-cased) address`);
  assert.doesNotThrow(() => new URL(mail.url), `${what}: url ${JSON.stringify(mail.url)} is not absolute`);
}

/** The token of a reset link `${base}/api/auth/reset-password/<token>?callbackURL=…`. */
export function resetTokenOf(url) {
  const u = new URL(url);
  const m = /\/api\/auth\/reset-password\/([^/]+)$/.exec(u.pathname);
  assert.ok(m, `not a reset-password link: ${url}`);
  return decodeURIComponent(m[1]);
}

/** The token of a verification link `${base}/api/auth/verify-email?token=<JWT>&callbackURL=…`. */
export function verifyTokenOf(url) {
  const u = new URL(url);
  assert.ok(u.pathname.endsWith("/api/auth/verify-email"), `not a verify-email link: ${url}`);
  const token = u.searchParams.get("token");
  assert.ok(token, `verify-email link without a token: ${url}`);
  return token;
}

/** The outbox directory in env var `name`, or null when unset. */
export function outboxFromEnv(name, label) {
  const v = process.env[name];
  return v ? new Outbox(v, label) : null;
}
