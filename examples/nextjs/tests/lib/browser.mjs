// Chromium (Debian's, /usr/bin/chromium; never a downloaded build) driven by playwright-core, and a watcher
// that records everything a person would see go wrong in DevTools: console errors and warnings, uncaught page
// errors, requests that failed at the network level (CORS refusals among them), HTTP errors, cookies the browser
// refused to store or to send (the DevTools protocol's Network domain), and the Issues panel's cookie and CORS
// issues (its Audits domain).
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** Headless Chromium; playwright-core gives each launch a fresh temporary --user-data-dir and deletes it. */
export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
}

/**
 * Watches one browser context. `problems` lists what went wrong; `allowHttp(status, urlPart)` declares an HTTP
 * error a test expects (each allowance is used once). `take()` returns and clears the problems.
 */
export async function watch(context, label) {
  const problems = [];
  const allowed = [];
  const seen = { console: [], issues: [], aborted: [] };
  const add = (kind, text) => problems.push(`[${label}] ${kind}: ${text}`);

  context.on("console", (msg) => {
    const text = msg.text();
    seen.console.push(`${msg.type()}: ${text}`);
    if (msg.type() !== "error" && msg.type() !== "warning") return;
    // Chromium's line for an HTTP error response; the response itself is checked below.
    if (/^Failed to load resource: the server responded with a status of \d+/.test(text)) return;
    add(/cors|cookie|samesite|access-control/i.test(text) ? "CORS/cookie console message" : `console ${msg.type()}`, text);
  });
  context.on("weberror", (err) => add("uncaught page error", err.error().stack ?? String(err.error())));
  context.on("requestfailed", (req) => {
    const failure = req.failure()?.errorText ?? "failed";
    // The page itself cancelled it: a navigation (or reload) stops the old page's pending fetches and Next.js's
    // prefetches. A CORS refusal or a network error is net::ERR_FAILED or another code, never this one.
    if (failure === "net::ERR_ABORTED") {
      seen.aborted.push(req.url());
      return;
    }
    add("failed request", `${req.method()} ${req.url()}: ${failure}`);
  });
  context.on("response", (res) => {
    if (res.status() < 400) return;
    const url = res.url();
    const i = allowed.findIndex((a) => a.status === res.status() && url.includes(a.urlPart));
    if (i >= 0) allowed.splice(i, 1);
    else add("HTTP error", `${res.status()} ${res.request().method()} ${url}`);
  });

  // Cookies: what DevTools' Network panel shows as a yellow warning. A Set-Cookie the browser refused is always a
  // problem; a stored cookie left off a request is one unless it simply does not belong there (path, domain).
  const irrelevant = new Set(["NotOnPath", "DomainMismatch"]);
  const attach = async (page) => {
    try {
      const cdp = await context.newCDPSession(page);
      cdp.on("Network.responseReceivedExtraInfo", ({ blockedCookies = [] }) => {
        for (const { blockedReasons, cookieLine } of blockedCookies) {
          add("cookie refused", `${blockedReasons.join(",")}: Set-Cookie: ${cookieLine.split(";")[0].split("=")[0]}=…`);
        }
      });
      cdp.on("Network.requestWillBeSentExtraInfo", ({ associatedCookies = [], headers }) => {
        for (const { blockedReasons, cookie } of associatedCookies) {
          const reasons = blockedReasons.filter((r) => !irrelevant.has(r));
          if (reasons.length) add("cookie not sent", `${reasons.join(",")}: ${cookie.name} (${cookie.domain}) on ${headers?.[":path"] ?? "a request"}`);
        }
      });
      cdp.on("Audits.issueAdded", ({ issue }) => {
        seen.issues.push(issue);
        const details = issue.details ?? {};
        if (details.cookieIssueDetails || details.corsIssueDetails || /cookie|cors/i.test(issue.code)) {
          add("DevTools issue", `${issue.code} ${JSON.stringify(details.cookieIssueDetails ?? details.corsIssueDetails ?? details)}`);
        }
      });
      await cdp.send("Network.enable");
      await cdp.send("Audits.enable");
    } catch (err) {
      if (!page.isClosed()) throw err;
    }
  };
  context.on("page", attach);
  for (const page of context.pages()) await attach(page);

  return {
    problems,
    seen,
    allowHttp(status, urlPart) {
      allowed.push({ status, urlPart });
    },
    take() {
      return problems.splice(0);
    },
  };
}

/** Retries `check` (which throws while not yet true) for up to `timeoutMs`; rethrows its last error. */
export async function eventually(check, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
