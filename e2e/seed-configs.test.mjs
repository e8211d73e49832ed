// The seeds' configurations as fixtures (seeds/*.json): for each, a stock Better Auth server started with the
// fixture's auth.ts options (`authTs`) and our API started with the ported settings (`ours`), each on its own fresh
// database in one PostgreSQL cluster (so each side's migrator creates its own additional-field columns), get the
// same requests (`steps`), and must give the same statuses, bodies and cookies once volatile values are normalised
// (lib/seeds.mjs says how). Then a coexistence test: field-rules' two servers on ONE database and secret.
//
// Env: DATABASE_URL (required) a database URL of the cluster; the test creates (and drops) its own databases there.
//      LOCAL_API_BIN (required unless SEEDS_OURS=stock) our local-api binary.
//      SEEDS_OURS=stock  the self-check: a stock Better Auth server stands in for our API too, started with the
//                        port taken back to Better Auth's options (ours.BETTER_AUTH_OPTIONS, SAME_SITE as
//                        advanced.defaultCookieAttributes.sameSite); every comparison must then pass, which
//                        checks the normaliser and the ported JSON. Divergences a fixture encodes do not apply.
//      SEED=name[,name]  only these fixtures (the coexistence test runs when field-rules is among them).
//      SEEDS_BA_URL, SEEDS_API_URL  servers you started yourself (each with the fixture's settings, on a fresh
//                        database), instead of the ones this test starts; only with SEED naming one fixture. The
//                        coexistence test then does not run (it says so).
//      SEEDS_REPORT=file write every step there (JSON): the request, both answers raw and normalised, the differences.
//      ORIGIN (default http://localhost:3000) sent on non-GET requests; both servers trust it.
// Our API runs with AUTH_RATE_LIMIT_MAX=1000 (per 10 s), so no step waits for the sign-in/up limit; the stock
// server limits only with NODE_ENV=production, which it does not get.
//
// A step may encode a deliberate, documented divergence of our API:
//   "divergence": { "why": "…", "ours": { "status": 400, "body": {…} }, "betterAuth": { "status": 500 } }
// `ours` replaces those parts of Better Auth's normalised answer to give what ours must answer; `betterAuth`
// (optional) pins what Better Auth answers, so that the divergence is noticed when Better Auth changes.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import pg from "pg";
import {
  loadFixtures,
  oursEnv,
  oursAsAuthTs,
  fillTemplate,
  Databases,
  startStock,
  startOurs,
  randomRun,
  randomSecret,
  stopAll,
  Jars,
  Labeler,
  send,
  normaliseAnswer,
  diff,
  PASSWORD,
} from "./lib/seeds.mjs";

const CLUSTER = process.env.DATABASE_URL;
const SELF_CHECK = process.env.SEEDS_OURS === "stock";
const LOCAL_API_BIN = process.env.LOCAL_API_BIN;
const only = (process.env.SEED || "").split(",").map((s) => s.trim()).filter(Boolean);
const all = loadFixtures();
const unknown = only.filter((n) => !all.some((f) => f.name === n));
const fixtures = only.length ? all.filter((f) => only.includes(f.name)) : all;
const GIVEN = process.env.SEEDS_BA_URL || process.env.SEEDS_API_URL ? { ba: process.env.SEEDS_BA_URL, ours: process.env.SEEDS_API_URL } : null;
const OURS = SELF_CHECK ? "the stock stand-in" : "our API";
const report = [];

const problems = [];
if (GIVEN) {
  if (!GIVEN.ba || !GIVEN.ours) problems.push("set both SEEDS_BA_URL and SEEDS_API_URL, or neither");
  if (fixtures.length !== 1 || !only.length) problems.push("with SEEDS_BA_URL and SEEDS_API_URL, SEED must name one fixture");
} else {
  if (!CLUSTER) problems.push("set DATABASE_URL (a URL of the PostgreSQL cluster)");
  if (!SELF_CHECK && !LOCAL_API_BIN) problems.push("set LOCAL_API_BIN (or SEEDS_OURS=stock)");
}
if (unknown.length) problems.push(`SEED names no fixture: ${unknown.join(", ")} (have ${all.map((f) => f.name).join(", ")})`);
if (problems.length) {
  test("seed-configs needs its settings", () => assert.fail(problems.join("; ")));
} else {
  const dbs = new Databases(CLUSTER, pg);
  after(async () => {
    await stopAll();
    await dbs.dropAll();
    if (process.env.SEEDS_REPORT) writeFileSync(process.env.SEEDS_REPORT, JSON.stringify(report, null, 2) + "\n");
  });

  /** Our API (or, in the self-check, its stock stand-in) with the fixture's `ours`. */
  async function startOursSide(fixture, { label, databaseUrl, secret, host }) {
    if (SELF_CHECK) return startStock({ label, databaseUrl, secret, options: oursAsAuthTs(fixture.ours), migrate: !fixture.sharedDb, host });
    return startOurs({ label, bin: LOCAL_API_BIN, databaseUrl, secret, env: oursEnv(fixture.ours), host });
  }

  function describeRequest(step) {
    const body = step.body === undefined ? "" : ` ${JSON.stringify(step.body)}`;
    return `${(step.method ?? "GET").toUpperCase()} /api/auth${step.path}${body} (cookies of "${step.jar ?? "default"}")`;
  }

  /** What ours must answer: Better Auth's answer, with a step's encoded divergence applied (not in the self-check). */
  function expectedForOurs(step, ba) {
    if (!step.divergence || SELF_CHECK) return ba;
    return { ...ba, ...step.divergence.ours };
  }

  /**
   * A fixture's two servers, each on its own new database; never rejects: { ba, ours, errors }. Started one
   * fixture ahead (while the previous fixture's requests run), to keep the suite short.
   */
  async function startPair(fixture) {
    const run = randomRun();
    if (GIVEN) {
      const given = (u) => ({ url: u.replace(/\/+$/, ""), baseURL: u.replace(/\/+$/, "") });
      return { run, ba: given(GIVEN.ba), ours: given(GIVEN.ours), errors: [] };
    }
    const secret = randomSecret();
    const db = (side) => `seeds_${run}_${fixture.name.replace(/-/g, "_")}_${side}`;
    try {
      const [baDb, oursDb] = await Promise.all([dbs.create(db("ba")), dbs.create(db("ours"))]);
      const [ba, ours] = await Promise.allSettled([
        startStock({ label: `Better Auth (${fixture.name})`, databaseUrl: baDb, secret, options: fixture.authTs, host: fixture.host }),
        startOursSide(fixture, { label: `${OURS} (${fixture.name})`, databaseUrl: oursDb, secret, host: fixture.host }),
      ]);
      const errors = [ba, ours].filter((s) => s.status === "rejected").map((s) => s.reason.message);
      return { run, ba: ba.value, ours: ours.value, errors };
    } catch (e) {
      return { run, errors: [e.message] };
    }
  }
  const coexist = fixtures.find((f) => f.name === "field-rules");
  const pairs = new Map();
  /** Fixture i's pair; i = fixtures.length is the coexistence test's. */
  const pairFor = (i) => {
    if (!pairs.has(i)) {
      if (i < fixtures.length) pairs.set(i, startPair(fixtures[i]));
      else if (i === fixtures.length && coexist && !GIVEN) pairs.set(i, startCoexistence(coexist));
    }
    return pairs.get(i);
  };

  for (const [index, fixture] of fixtures.entries()) {
    test(`${fixture.name} (${fixture.file}): ${OURS} and Better Auth answer alike`, async (t) => {
      const pair = await pairFor(index);
      pairFor(index + 1);
      const { run, ba, ours } = pair;
      t.after(() => Promise.all([ba, ours].filter((s) => s?.server).map((s) => s.server.stop())));
      if (pair.errors.length) {
        report.push({ fixture: fixture.name, step: "(start)", differences: pair.errors });
        assert.fail(pair.errors.join("\n\n"));
      }
      const sides = {
        ours: { url: ours.url, jars: new Jars(), ctx: { labeler: new Labeler(), origin: new URL(ours.baseURL).origin } },
        ba: { url: ba.url, jars: new Jars(), ctx: { labeler: new Labeler(), origin: new URL(ba.baseURL).origin } },
      };
      t.diagnostic(`Better Auth ${ba.url} (BETTER_AUTH_URL ${ba.baseURL}), ${OURS} ${ours.url} (${ours.baseURL}); run ${run}`);
      let differing = 0;
      for (const rawStep of fixture.steps) {
        const step = fillTemplate(rawStep, run);
        await t.test(step.name, async () => {
          // One side after the other: the labels number values in the order each side first shows them.
          const rawOurs = await send(sides.ours.url, sides.ours.jars, step);
          const rawBa = await send(sides.ba.url, sides.ba.jars, step);
          // A divergent answer's values (Better Auth's new user, say) exist on one side only: labelled apart, so
          // that the labels of the steps after it still line up.
          const diverges = step.divergence && !SELF_CHECK;
          const ctxOf = (side) => (diverges ? { ...side.ctx, labeler: side.ctx.labeler.fork() } : side.ctx);
          const got = normaliseAnswer(rawOurs, ctxOf(sides.ours));
          const baAnswer = normaliseAnswer(rawBa, ctxOf(sides.ba));
          const lines = [];
          const pinned = step.divergence?.betterAuth;
          if (pinned) {
            for (const line of diff(Object.fromEntries(Object.keys(pinned).map((k) => [k, baAnswer[k]])), pinned))
              lines.push(`Better Auth no longer answers as the divergence says: ${line.replace(/^(.*?): ours (.*) ≠ Better Auth (.*)$/, "$1: Better Auth $2 ≠ fixture $3")}`);
          }
          lines.push(...diff(got, expectedForOurs(step, baAnswer)));
          report.push({
            fixture: fixture.name,
            step: step.name,
            request: describeRequest(step),
            differences: lines,
            normalised: { ours: got, betterAuth: baAnswer },
            ours: { status: rawOurs.status, body: rawOurs.text, setCookie: rawOurs.setCookies, setAuthJwt: rawOurs.authJwt },
            betterAuth: { status: rawBa.status, body: rawBa.text, setCookie: rawBa.setCookies, setAuthJwt: rawBa.authJwt },
          });
          if (!lines.length) return;
          differing++;
          assert.fail(
            [
              `${fixture.name} / ${step.name}`,
              `request: ${describeRequest(step)}`,
              ...(step.divergence && !SELF_CHECK ? [`(expected divergence: ${step.divergence.why})`] : []),
              "differences (normalised):",
              ...lines.map((l) => `  ${l}`),
              `${OURS} (normalised):  ${JSON.stringify(got)}`,
              `Better Auth (normalised): ${JSON.stringify(baAnswer)}`,
              `${OURS} (raw): ${rawOurs.status} ${rawOurs.text}${rawOurs.setCookies.map((c) => `\n  set-cookie: ${c}`).join("")}`,
              `Better Auth (raw): ${rawBa.status} ${rawBa.text}${rawBa.setCookies.map((c) => `\n  set-cookie: ${c}`).join("")}`,
            ].join("\n"),
          );
        });
      }
      t.diagnostic(`${fixture.steps.length} requests to each side; ${differing} answered differently`);
    });
  }

  // Coexistence: field-rules' stock server (migrated first, with --migrate) and our API on ONE database and secret.
  // Our API's migrations then find Better Auth's tables and the additional-field columns already there. A user signed
  // up on one side is read back, field by field, by the other side's get-session; an update-user on the other side
  // is seen by the first; the unreturned `note` is read from the database.
  /** The stock server migrated first (--migrate), then ours on the same database; never rejects. */
  async function startCoexistence(fixture) {
    const secret = randomSecret();
    const out = { errors: [] };
    try {
      out.databaseUrl = await dbs.create(`seeds_${randomRun()}_coexist`);
      out.ba = await startStock({ label: "Better Auth (coexistence)", databaseUrl: out.databaseUrl, secret, options: fixture.authTs });
      out.ours = await startOursSide({ ...fixture, sharedDb: true }, { label: `${OURS} (coexistence)`, databaseUrl: out.databaseUrl, secret });
    } catch (e) {
      out.errors.push(e.message);
    }
    return out;
  }

  if (!coexist || GIVEN) {
    const why = GIVEN ? "SEEDS_BA_URL and SEEDS_API_URL: this test starts its own two servers on one database" : `SEED=${only.join(",")} leaves out field-rules`;
    test("coexistence (field-rules on one database)", { skip: why }, () => {});
  } else {
    test(`coexistence: field-rules' Better Auth and ${OURS} on one database and secret`, async (t) => {
      const { databaseUrl, ba, ours, errors } = await pairFor(fixtures.length);
      t.after(() => Promise.all([ba, ours].filter(Boolean).map((s) => s.server.stop())));
      if (errors.length) assert.fail(errors.join("\n\n"));
      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      t.after(() => db.end());
      t.diagnostic(`Better Auth ${ba.url} (migrated first), ${OURS} ${ours.url}, one database`);

      async function call(url, jar, method, path, body) {
        const raw = await send(url, { get: () => jar, copy() {} }, { method, path, body, jar: "j" });
        return { status: raw.status, body: raw.text ? JSON.parse(raw.text) : null, raw };
      }
      const note = async (id) => (await db.query(`select "note" from "user" where "id" = $1`, [id])).rows[0]?.note;

      for (const [first, second, firstName, secondName] of [
        [ours.url, ba.url, OURS, "Better Auth"],
        [ba.url, ours.url, "Better Auth", OURS],
      ]) {
        await t.test(`signed up on ${firstName}, read and updated on ${secondName}, read back on ${firstName}`, async () => {
          const firstJar = new Map();
          const email = `coexist-${randomRun()}@example.com`;
          const signUp = await call(first, firstJar, "POST", "/sign-up/email", {
            email,
            password: PASSWORD,
            name: "Coexisting User",
            plan: "team",
            note: `noted on ${firstName}`,
            age: 30,
            birthday: "1990-06-15T12:00:00.000Z",
          });
          assert.equal(signUp.status, 200, `sign-up on ${firstName}: ${signUp.raw.text}`);
          const user = signUp.body.user;
          assert.deepEqual(
            { plan: user.plan, role: user.role, tier: user.tier, age: user.age, newsletter: user.newsletter, birthday: user.birthday, note: user.note },
            { plan: "team", role: "member", tier: null, age: 30, newsletter: false, birthday: "1990-06-15T12:00:00.000Z", note: undefined },
            `sign-up on ${firstName}`,
          );
          assert.equal(await note(user.id), `noted on ${firstName}`, "the unreturned note as stored");

          // The session cookie copied, as a proxy or a server-side fetch would forward it.
          const secondJar = new Map(firstJar);
          const onFirst = await call(first, firstJar, "GET", "/get-session");
          const onSecond = await call(second, secondJar, "GET", "/get-session");
          assert.equal(onSecond.status, 200, `get-session on ${secondName}: ${onSecond.raw.text}`);
          assert.deepEqual(onSecond.body, onFirst.body, `get-session on ${secondName} ≠ on ${firstName} (one row, so every value must be equal)`);

          const update = await call(second, secondJar, "POST", "/update-user", {
            age: 31,
            newsletter: true,
            birthday: null,
            note: `noted on ${secondName}`,
          });
          assert.equal(update.status, 200, `update-user on ${secondName}: ${update.raw.text}`);
          assert.deepEqual(update.body, { status: true });
          const afterSecond = await call(second, secondJar, "GET", "/get-session");
          const afterFirst = await call(first, firstJar, "GET", "/get-session");
          assert.deepEqual(
            { age: afterFirst.body?.user?.age, newsletter: afterFirst.body?.user?.newsletter, birthday: afterFirst.body?.user?.birthday, plan: afterFirst.body?.user?.plan },
            { age: 31, newsletter: true, birthday: null, plan: "team" },
            `${firstName}'s get-session after ${secondName}'s update-user`,
          );
          assert.deepEqual(afterFirst.body, afterSecond.body, `get-session on ${firstName} ≠ on ${secondName} after the update`);
          assert.equal(await note(user.id), `noted on ${secondName}`, "the unreturned note as stored after the update");
        });
      }
    });
  }
}
