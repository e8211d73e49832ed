// A cookie-keeping fetch for the better-auth client in Node, which has no cookie jar of its own:
//   const fetchImpl = fetchWithCookies({ origin: "http://localhost:3000" });
//   createAuthClient({ baseURL, fetchOptions: { customFetchImpl: fetchImpl } });
//   fetchImpl.jar.get("better-auth.session_token");
// It also adds `Origin` to non-GET requests, because Node's fetch (undici) always sends
// `sec-fetch-mode: cors` and Better Auth-style servers then require a trusted Origin on sign-in/up.

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** One parsed Set-Cookie header. Attribute names are lowercased; `value` stays as sent (URL-encoded). */
export function parseSetCookie(header) {
  const [pair, ...attrs] = header.split(";");
  const eq = pair.indexOf("=");
  const name = (eq < 0 ? "" : pair.slice(0, eq)).trim();
  const value = (eq < 0 ? pair : pair.slice(eq + 1)).trim();
  const attributes = {};
  for (const a of attrs) {
    const i = a.indexOf("=");
    const key = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
    if (!key) continue;
    attributes[key] = i < 0 ? true : a.slice(i + 1).trim();
  }
  return { name, value, attributes, raw: header };
}

/**
 * A small RFC 6265-ish jar: host-only cookies (a Domain attribute widens the match to subdomains),
 * path-prefix matching, Max-Age (<= 0 deletes) before Expires, Secure sent over https or to loopback.
 * Like a browser, it ignores the port: two servers on 127.0.0.1 share cookies when they share a jar.
 */
export class CookieJar {
  #cookies = new Map(); // `${domain}|${path}|${name}` -> cookie
  /** Every Set-Cookie header received, in order: `{ url, header }`. */
  received = [];

  /** Store the Set-Cookie headers of a response to `url`. */
  storeFromResponse(url, response) {
    const headers = response.headers.getSetCookie?.() ?? [];
    for (const h of headers) this.setCookie(h, url);
    return headers;
  }

  /** Apply one Set-Cookie header as if it came from `url`. */
  setCookie(header, url) {
    const u = new URL(url);
    this.received.push({ url: u.href, header });
    const c = parseSetCookie(header);
    if (!c.name) return;
    const host = u.hostname.toLowerCase();
    const domainAttr = typeof c.attributes.domain === "string" ? c.attributes.domain.replace(/^\./, "").toLowerCase() : "";
    const domain = domainAttr || host;
    const hostOnly = !domainAttr;
    let path = typeof c.attributes.path === "string" && c.attributes.path.startsWith("/") ? c.attributes.path : defaultPath(u);
    let expires = null; // null = session cookie
    if (c.attributes["max-age"] !== undefined) {
      const n = Number(c.attributes["max-age"]);
      expires = Number.isFinite(n) ? Date.now() + n * 1000 : null;
      if (Number.isFinite(n) && n <= 0) expires = 0;
    } else if (typeof c.attributes.expires === "string") {
      const t = Date.parse(c.attributes.expires);
      if (!Number.isNaN(t)) expires = t;
    }
    const key = `${domain}|${path}|${c.name}`;
    if (expires !== null && expires <= Date.now()) {
      this.#cookies.delete(key);
      return;
    }
    this.#cookies.set(key, {
      name: c.name,
      value: c.value,
      domain,
      hostOnly,
      path,
      expires,
      secure: c.attributes.secure === true,
      httpOnly: c.attributes.httponly === true,
      sameSite: c.attributes.samesite,
      raw: header,
    });
  }

  /** The cookies that would be sent to `url` (all live cookies when `url` is omitted). */
  cookies(url) {
    const now = Date.now();
    const out = [];
    const u = url ? new URL(url) : null;
    for (const [key, c] of this.#cookies) {
      if (c.expires !== null && c.expires <= now) {
        this.#cookies.delete(key);
        continue;
      }
      if (u) {
        const host = u.hostname.toLowerCase();
        if (c.hostOnly ? host !== c.domain : !(host === c.domain || host.endsWith("." + c.domain))) continue;
        if (!pathMatches(u.pathname, c.path)) continue;
        if (c.secure && u.protocol !== "https:" && !LOOPBACK.has(host)) continue;
      }
      out.push(c);
    }
    // Longer paths first, as browsers do.
    return out.sort((a, b) => b.path.length - a.path.length);
  }

  /** The `Cookie` header value for `url`, or "" when there is nothing to send. */
  cookieHeader(url) {
    return this.cookies(url)
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
  }

  /** The stored cookie with that name (first match), or undefined. */
  getCookie(name) {
    return this.cookies().find((c) => c.name === name);
  }
  /** The stored value (as sent, URL-encoded) of that cookie, or undefined. */
  get(name) {
    return this.getCookie(name)?.value;
  }
  has(name) {
    return this.getCookie(name) !== undefined;
  }
  /** Set a cookie by hand, e.g. to carry a session from one server's jar to another's. */
  set(name, value, url, attributes = "Path=/") {
    this.setCookie(`${name}=${value}; ${attributes}`, url);
  }
  delete(name) {
    for (const [key, c] of this.#cookies) if (c.name === name) this.#cookies.delete(key);
  }
  clear() {
    this.#cookies.clear();
  }
  /** { name: value } of every live cookie. */
  toJSON() {
    return Object.fromEntries(this.cookies().map((c) => [c.name, c.value]));
  }
}

function defaultPath(u) {
  const p = u.pathname;
  if (!p.startsWith("/") || p.lastIndexOf("/") === 0) return "/";
  return p.slice(0, p.lastIndexOf("/"));
}

function pathMatches(requestPath, cookiePath) {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}

/**
 * Make a fetch that keeps cookies in `jar` and adds `Origin: origin` to every request whose method is
 * not GET or HEAD (unless the caller set Origin). The function carries `.jar` and `.origin`.
 * @param {{ origin?: string, jar?: CookieJar, fetch?: typeof fetch, onResponse?: (r: Response, url: URL, init: RequestInit) => void }} [opts]
 */
export function fetchWithCookies({ origin = "http://localhost:3000", jar = new CookieJar(), fetch: baseFetch = globalThis.fetch, onResponse } = {}) {
  async function customFetchImpl(input, init = {}) {
    const isRequest = typeof Request !== "undefined" && input instanceof Request;
    const url = new URL(isRequest ? input.url : String(input));
    const headers = new Headers(init.headers ?? (isRequest ? input.headers : undefined));
    const method = String(init.method ?? (isRequest ? input.method : "GET")).toUpperCase();
    const cookie = jar.cookieHeader(url);
    if (cookie && !headers.has("cookie")) headers.set("cookie", cookie);
    if (origin && method !== "GET" && method !== "HEAD" && !headers.has("origin")) headers.set("origin", origin);
    const response = await baseFetch(isRequest ? input : url, { ...init, method, headers });
    jar.storeFromResponse(url, response);
    onResponse?.(response, url, init);
    return response;
  }
  customFetchImpl.jar = jar;
  customFetchImpl.origin = origin;
  return customFetchImpl;
}

export default fetchWithCookies;
