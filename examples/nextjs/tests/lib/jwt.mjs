// An HS256 JWT signed with the API's BETTER_AUTH_SECRET, in the API's shared-secret format (sub, email, name, iat,
// exp): the API verifies it like one from /api/auth/token, so one with a past `exp` is a genuinely expired token.
import { createHmac } from "node:crypto";

const b64url = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

export function hs256(secret, { sub, email = "", name = "", expiresIn }) {
  const iat = Math.floor(Date.now() / 1000);
  const head = `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url({ sub, email, name, iat, exp: iat + expiresIn })}`;
  return `${head}.${createHmac("sha256", secret).update(head).digest("base64url")}`;
}
