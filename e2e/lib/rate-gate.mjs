// Keeps a test's sign-in/sign-up calls under a server's rate limit instead of tripping it.
//
// Better Auth's limiter (which ours copies) counts per IP, resets only after `window` seconds with no
// allowed request, and refreshes its "last request" time on every allowed call. So once `max` calls
// have been made in a burst, the gate waits until `window` (+ a margin) has passed since the LAST call.
// That is also safe for a fixed-window or sliding-log limiter. Sign-in and sign-up are counted together.
//
// E2E_AUTH_RATE_LIMIT = "<max>/<window seconds>" (default "3/10", the Rust API's default), or "off"
// when the server under test was started with a higher limit.

export function parseRateLimit(spec = process.env.E2E_AUTH_RATE_LIMIT ?? "3/10") {
  if (spec === "off" || spec === "0") return null;
  const m = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(spec.trim());
  if (!m) throw new Error(`E2E_AUTH_RATE_LIMIT must look like "3/10" or "off", got ${JSON.stringify(spec)}`);
  return { max: Number(m[1]), windowMs: Number(m[2]) * 1000 };
}

export class RateGate {
  /** @param {{max:number, windowMs:number} | null} limit */
  constructor(limit = parseRateLimit(), { marginMs = 750, log = (msg) => console.log(msg) } = {}) {
    this.limit = limit;
    this.marginMs = marginMs;
    this.log = log;
    this.burst = 0;
    this.last = -Infinity;
    this.calls = 0;
    this.waitedMs = 0;
  }

  /** Call before each rate-limited request. */
  async take(label = "") {
    this.calls++;
    if (!this.limit) return;
    const now = Date.now();
    const quietFor = now - this.last;
    if (quietFor >= this.limit.windowMs + this.marginMs) this.burst = 0;
    if (this.burst >= this.limit.max) {
      const wait = this.limit.windowMs + this.marginMs - quietFor;
      this.log(
        `rate gate: waiting ${(wait / 1000).toFixed(1)} s before ${label || "call"} ` +
          `(limit ${this.limit.max} per ${this.limit.windowMs / 1000} s; E2E_AUTH_RATE_LIMIT=off to skip)`,
      );
      await new Promise((r) => setTimeout(r, wait));
      this.waitedMs += wait;
      this.burst = 0;
    }
    this.burst++;
    this.last = Date.now();
  }
}

/**
 * Runs a better-auth client call; when it answers 429 (a bucket filled by an EARLIER process, e.g. the
 * previous suite on the same server, which no gate here could see), waits the server's x-retry-after (or
 * `fallbackMs`) once, says so, and calls again. `call(fetchOptions)` must pass `fetchOptions` to the client.
 * Only for suites that cannot know what ran before them; a second 429 is returned as is.
 */
export async function retryOnceOn429(label, call, { fallbackMs = 11_000, maxWaitMs = 65_000, log = (msg) => console.log(msg) } = {}) {
  let retryAfter = null;
  const fetchOptions = {
    onError(ctx) {
      retryAfter = ctx.response?.headers?.get("x-retry-after") ?? null;
    },
  };
  const first = await call(fetchOptions);
  if (first?.error?.status !== 429) return first;
  const seconds = Number(retryAfter);
  const wait = Math.min(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 + 500 : fallbackMs, maxWaitMs);
  log(`rate limit: ${label} got 429 (x-retry-after ${retryAfter ?? "absent"}); waiting ${(wait / 1000).toFixed(1)} s and retrying once`);
  await new Promise((r) => setTimeout(r, wait));
  return call({});
}

/** `gate.take(label)`, then the call, retried once on a 429 (see retryOnceOn429) when the gate has a limit. */
export async function gated(gate, label, call) {
  await gate.take(label);
  if (!gate.limit) return call({});
  const r = await retryOnceOn429(label, call, { fallbackMs: gate.limit.windowMs + gate.marginMs, log: gate.log });
  gate.last = Date.now();
  return r;
}
