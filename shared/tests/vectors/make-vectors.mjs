// Produces the Better Auth test vectors used by the auth-crypto unit tests, using
// better-auth's OWN code (better-auth 1.7.25, better-call 1.4.5, @better-auth/utils 0.5.1).
//
// Run it from a directory where the pinned package is installed:
//   npm init -y && npm install better-auth@1.7.25 && node make-vectors.mjs
// The output is random on every run (salts, nonces, keys, tokens): paste a run's
// values into the Rust tests as a whole, never mixing runs.
//
// Reverse checks (Node reading values our Rust code produced):
//   node make-vectors.mjs decrypt '<stored jwks.privateKey text>' '<secret>'
//   node make-vectors.mjs verify-cookie '<cookie value>' '<secret>'

import { memoryAdapter } from "better-auth/adapters/memory";
import { betterAuth } from "better-auth";
import {
  hashPassword,
  makeSignature,
  symmetricDecrypt,
  symmetricEncrypt,
  verifyPassword,
} from "better-auth/crypto";
import { jwt } from "better-auth/plugins/jwt";
import { createInternalContext } from "better-call";
import { createPrivateKey, sign as nodeSign } from "node:crypto";

// better-call keeps signCookieValue out of its export map, so load the file that defines it.
const betterCallEntry = import.meta.resolve("better-call");
const { signCookieValue } = await import(new URL("./crypto.mjs", betterCallEntry));

const [mode, arg1, arg2] = process.argv.slice(2);

if (mode === "decrypt") {
  // Same calls as better-auth/dist/plugins/jwt/sign.mjs (resolveSigningKey) with a plain string secret.
  const plaintext = await symmetricDecrypt({ key: arg2, data: JSON.parse(arg1) });
  console.log(plaintext);
  process.exit(0);
}

if (mode === "verify-cookie") {
  // getSignedCookie is what get-session and sign-out call on the session cookie.
  const ctx = await createInternalContext(
    { headers: new Headers({ cookie: `better-auth.session_token=${arg1}` }) },
    { options: {}, path: "/vectors" },
  );
  console.log(JSON.stringify(await ctx.getSignedCookie("better-auth.session_token", arg2)));
  process.exit(0);
}

const out = {};
const SECRET = "vector-secret-0123456789abcdefghijklmnopqrstuvwxyz";
out.secret = SECRET;

// --- Password hashes: @better-auth/utils/dist/password.node.mjs (scrypt via node:crypto) ---
const fullwidth = "ｐａｓｓｗｏｒｄ１２３"; // NFKC -> "password123"
const composed = "\u00C5ngstr\u00F6m-pass"; // Å and ö precomposed
const decomposed = "A\u030Angstro\u0308m-pass"; // the same, combining marks
out.scrypt = {
  ascii: { password: "correct horse battery staple", hash: await hashPassword("correct horse battery staple") },
  fullwidth: { password: fullwidth, nfkc: fullwidth.normalize("NFKC"), hash: await hashPassword(fullwidth) },
  decomposed: { password: decomposed, hash: await hashPassword(decomposed) },
};
out.scrypt.checks = {
  fullwidth_hash_accepts_nfkc_form: await verifyPassword({ hash: out.scrypt.fullwidth.hash, password: "password123" }),
  decomposed_hash_accepts_composed_form: await verifyPassword({ hash: out.scrypt.decomposed.hash, password: composed }),
  ascii_hash_rejects_wrong_password: !(await verifyPassword({ hash: out.scrypt.ascii.hash, password: "wrong password!" })),
};

// --- Password length, as better-auth/dist/utils/password.mjs measures it (JS .length) ---
out.lengths = Object.fromEntries(
  ["12345678", "\u{1F600}".repeat(4), "\u{1F600}".repeat(3) + "a", "é".repeat(8), "e\u0301".repeat(4)].map((p) => [p, p.length]),
);

// --- Signed cookie values: better-call/dist/crypto.mjs signCookieValue ---
let searchToken;
for (let i = 0; ; i++) {
  const candidate = `VectorTokenWithPlusAndSlash${String(i).padStart(5, "0")}`;
  const sig = await makeSignature(candidate, SECRET);
  if (sig.includes("+") && sig.includes("/")) {
    searchToken = candidate;
    break;
  }
}
const oddValue = "a b+c/ä€!~*'()_-.;=%\u{1F600}";
out.cookies = {
  plus_and_slash: { value: searchToken, signed: await signCookieValue(searchToken, SECRET) },
  odd_characters: { value: oddValue, signed: await signCookieValue(oddValue, SECRET) },
  dont_remember: { value: "true", signed: await signCookieValue("true", SECRET) },
};

// --- Real server flow on an in-memory database: sign-up, session cookie, JWKS row, JWT ---
const db = { user: [], session: [], account: [], verification: [], jwks: [] };
const auth = betterAuth({
  secret: SECRET,
  baseURL: "http://127.0.0.1:3005",
  database: memoryAdapter(db),
  emailAndPassword: { enabled: true },
  plugins: [jwt()],
  logger: { disabled: true },
});
const signUp = await auth.api.signUpEmail({
  body: { email: "vectors@example.com", password: "hunter2hunter2", name: "Vectors" },
  returnHeaders: true,
});
const setCookie = signUp.headers.get("set-cookie");
const cookieValue = /better-auth\.session_token=([^;]*)/.exec(setCookie)[1];
const jwtResult = await auth.api.getToken({
  headers: new Headers({ cookie: `better-auth.session_token=${cookieValue}` }),
});
const jwksRow = db.jwks[0];
const privateJwkJson = await symmetricDecrypt({ key: SECRET, data: JSON.parse(jwksRow.privateKey) });
const privateKeyObject = createPrivateKey({ key: JSON.parse(privateJwkJson), format: "jwk" });
const message = "auth-crypto test message";
out.server = {
  email: "vectors@example.com",
  password: "hunter2hunter2",
  account_password: db.account[0].password,
  session_token: signUp.response.token,
  session_cookie_value: cookieValue,
  set_cookie: setCookie,
  jwks_id: jwksRow.id,
  jwks_public_key: jwksRow.publicKey,
  jwks_private_key: jwksRow.privateKey,
  private_jwk_plaintext: privateJwkJson,
  jwks_endpoint: await auth.api.getJwks(),
  jwt: jwtResult.token,
  pkcs8_der_hex: privateKeyObject.export({ format: "der", type: "pkcs8" }).toString("hex"),
  message,
  message_signature_hex: nodeSign(null, Buffer.from(message), privateKeyObject).toString("hex"),
};

// --- symmetricEncrypt with a plain secret and with versioned `secrets` ---
const fixedJwk = out.server.private_jwk_plaintext;
out.encrypted = {
  plain_secret_stored: JSON.stringify(await symmetricEncrypt({ key: SECRET, data: fixedJwk })),
  versioned_secret_stored: JSON.stringify(
    await symmetricEncrypt({ key: { keys: new Map([[3, SECRET]]), currentVersion: 3 }, data: fixedJwk }),
  ),
};

console.log(JSON.stringify(out, null, 2));
