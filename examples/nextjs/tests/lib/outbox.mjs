// The mails local-api wrote to its EMAIL_OUTBOX_DIR: one JSON file per mail, {"to","subject","text","html","url"},
// named <unix ms>-<random>.json (so sorted names are in time order; other names are files still being written).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export function outbox(dir) {
  const names = () => (existsSync(dir) ? readdirSync(dir).filter((n) => /^\d+-[\w-]+\.json$/.test(n)).sort() : []);
  return {
    /** The names present now: pass as `since` to wait only for later mails. */
    mark: () => new Set(names()),
    /** The first mail to `to` written after `since`, waiting up to `timeoutMs`. */
    async waitFor({ to, since, timeoutMs = 10_000 }) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const name of names().filter((n) => !since.has(n))) {
          const mail = JSON.parse(readFileSync(path.join(dir, name), "utf8"));
          if (mail.to === to.toLowerCase()) return mail;
        }
        if (Date.now() > deadline) throw new Error(`no mail to ${to} in ${dir} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}
