// What the browser test files share: the variables scripts/browser-e2e.sh sets, the browser with one watcher per
// context, and the steps a person takes on the app's pages. Run once per setup (docs/nextjs.md), with:
//   APP_URL             the app (next start), e.g. http://localhost:3000
//   API_URL             NEXT_PUBLIC_API_URL the app was built with (the tasks API)
//   AUTH_URL            NEXT_PUBLIC_BETTER_AUTH_URL it was built with: API_URL (cross-origin) or APP_URL (first-party)
//   EMAIL_OUTBOX_DIR    local-api's outbox, where the mailed links are read
//   BETTER_AUTH_SECRET  local-api's secret (to sign an expired JWT)
//   SCREENSHOT_DIR      where the screenshots go (default: test-results/)
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { eventually, launch, watch } from "./browser.mjs";
import { outbox } from "./outbox.mjs";

const need = (name) => process.env[name] || assert.fail(`${name} is not set (see the header of tests/lib/app.mjs)`);
export const APP_URL = need("APP_URL");
export const API_URL = need("API_URL");
export const AUTH_URL = process.env.AUTH_URL || API_URL;
export const SECRET = need("BETTER_AUTH_SECRET");
export const mails = outbox(need("EMAIL_OUTBOX_DIR"));
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || "test-results";
export const FIRST_PARTY = new URL(AUTH_URL).origin !== new URL(API_URL).origin;
export const SETUP = FIRST_PARTY ? "first-party" : "cross-origin";
export const PASSWORD = "correct horse battery";
const run = Date.now().toString(36);
export const newUser = (name) => ({ name, email: `${name.toLowerCase()}-${SETUP}-${run}@example.com`, password: PASSWORD });

let browser;
const watchers = [];

/** For `before`: the browser, and the screenshot folder. */
export async function start() {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  browser = await launch();
}

/** For `after`. */
export async function stop() {
  await browser?.close();
}

/** A new browser context (a separate person, or device: own cookies and storage) with a watcher and one page.
 * `options` go to browser.newContext (a `userAgent`, say). */
export async function person(label, options = {}) {
  const context = await browser.newContext({ baseURL: APP_URL, viewport: { width: 900, height: 760 }, ...options });
  context.setDefaultTimeout(10_000);
  const watcher = await watch(context, `${SETUP} ${label}`);
  watchers.push(watcher);
  const page = await context.newPage();
  return { context, page, watcher };
}

/** For `afterEach`, passed or not: fails with everything the watchers saw go wrong during the test (and prints it,
 * since a test that failed already reports only its own error). */
export function assertClean() {
  const problems = watchers.flatMap((w) => w.take());
  if (problems.length) console.log(`the browser reported:\n${problems.join("\n")}`);
  assert.deepEqual(problems, [], `the browser reported:\n${problems.join("\n")}`);
}

/** Waits for the page to reach `url`; fails at once, with the page's message, if it shows an alert instead. */
export async function expectNavigation(page, url) {
  const alert = page.locator("main").getByRole("alert"); // not Next.js's route announcer, also role="alert"
  await Promise.race([
    page.waitForURL(url),
    alert.waitFor().then(
      async () => assert.fail(`expected ${url}, the page says: ${await alert.textContent()}`),
      () => new Promise(() => {}), // no alert in time: leave it to waitForURL
    ),
  ]);
}

export async function signUp(page, user) {
  await page.goto("/signup");
  await page.getByLabel("Name").fill(user.name);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expectNavigation(page, "**/dashboard");
  await page.getByRole("heading", { name: `${user.name}’s tasks` }).waitFor();
}

export async function signIn(page, email, password) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Sign-in refused: the login page shows Better Auth's message. */
export const expectRefused = (page) => page.locator("main").getByRole("alert").getByText("Invalid email or password").waitFor();

export async function addTask(page, title, description) {
  await page.getByLabel("New task").fill(title);
  if (description) await page.getByLabel("Description").fill(description);
  await page.getByRole("button", { name: "Add task" }).click();
  await page.getByRole("listitem").filter({ hasText: title }).waitFor();
}

const titles = (page) => page.getByRole("list", { name: "Tasks" }).getByRole("listitem").locator(".title").allTextContents();

/** Waits until the task list shows exactly `expected` (in order). */
export const expectTitles = (page, expected) => eventually(async () => assert.deepEqual(await titles(page), expected));
