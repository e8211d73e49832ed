// The settings page (app/settings) in a real Chromium, against local-api, in the setup scripts/browser-e2e.sh
// runs (the variables: tests/lib/app.mjs). A second browser context of the same user is a second device.
// local-api must run with BETTER_AUTH_OPTIONS='{"user":{"deleteUser":{"enabled":true},"changeEmail":{"enabled":true}}}'
// and allow more than 3 sign-ins per 10 s (AUTH_RATE_LIMIT_MAX): this file makes 8 (and 6 sign-ups).
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import {
  addTask,
  APP_URL,
  assertClean,
  AUTH_URL,
  expectNavigation,
  expectRefused,
  mails,
  newUser,
  PASSWORD,
  person,
  SCREENSHOT_DIR,
  SETUP,
  signIn,
  signUp,
  start,
  stop,
} from "./lib/app.mjs";
import { eventually } from "./lib/browser.mjs";

/** From the dashboard, by its link. */
async function openSettings(page) {
  await page.getByRole("link", { name: "Settings" }).click();
  await page.waitForURL("**/settings");
  await page.getByRole("heading", { name: "Settings" }).waitFor();
}

/** One part of the settings page, by its heading. */
const part = (page, name) => page.getByRole("region", { name, exact: true });

/** The same user on another device (a context of its own, with its own user agent), signed in. */
async function otherDevice(user, userAgent) {
  const device = await person(`${user.name} on ${userAgent}`, { userAgent });
  await signIn(device.page, user.email, user.password);
  await expectNavigation(device.page, "**/dashboard");
  return device;
}

/** Its next navigation finds no session: the page sends it to /login. */
async function expectSignedOut(page, path = "/dashboard") {
  await page.goto(path);
  await page.waitForURL("**/login");
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
}

describe(`Settings page, ${SETUP} (app ${APP_URL}, auth ${AUTH_URL})`, () => {
  before(start);
  afterEach(assertClean);
  after(stop);

  test("rename: the new name shows at once, and on the dashboard after a reload", async () => {
    const kay = newUser("Kay");
    const { page, context } = await person("Kay");
    await signUp(page, kay);
    await openSettings(page);
    const name = part(page, "Name");
    await name.getByLabel("Name").fill("Kay Sommers");
    await name.getByRole("button", { name: "Save name" }).click();
    await name.getByRole("status").getByText("Your name was saved.").waitFor();
    await page.getByText(`Signed in as Kay Sommers (${kay.email})`).waitFor(); // the client reread the session
    await page.getByRole("link", { name: "Back to your tasks" }).click();
    await page.getByRole("heading", { name: "Kay Sommers’s tasks" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Kay Sommers’s tasks" }).waitFor();
    await context.close();
  });

  test("change password: a wrong current one changes nothing; “sign out other devices” signs the phone out", async () => {
    const max = newUser("Max");
    const { page, context, watcher } = await person("Max");
    await signUp(page, max);
    const phone = await otherDevice(max, "Max's phone");
    await openSettings(page);
    const form = part(page, "Password");
    const newPassword = "a much longer passphrase";

    watcher.allowHttp(400, "/api/auth/change-password");
    await form.getByLabel("Current password").fill("not my password");
    await form.getByLabel("New password").fill(newPassword);
    await form.getByLabel("Sign out other devices").check();
    await form.getByRole("button", { name: "Change password" }).click();
    await form.getByRole("alert").getByText("Invalid password").waitFor();
    await phone.page.reload(); // nothing changed: the phone is still signed in
    await phone.page.getByRole("heading", { name: "Max’s tasks" }).waitFor();

    await form.getByLabel("Current password").fill(PASSWORD); // the rest of the form is as it was
    await form.getByRole("button", { name: "Change password" }).click();
    await form.getByRole("status").getByText("Your password was changed.").waitFor();
    await page.reload(); // this device has a new session
    await page.getByText(`Signed in as Max (${max.email})`).waitFor();

    await expectSignedOut(phone.page);
    phone.watcher.allowHttp(401, "/api/auth/sign-in/email");
    await signIn(phone.page, max.email, PASSWORD);
    await expectRefused(phone.page);
    await signIn(phone.page, max.email, newPassword);
    await expectNavigation(phone.page, "**/dashboard");
    await phone.page.getByRole("heading", { name: "Max’s tasks" }).waitFor();
    await phone.context.close();
    await context.close();
  });

  test("sessions: another device is listed; signing it out, or everywhere else, sends it to /login", async () => {
    const noor = newUser("Noor");
    const { page, context } = await person("Noor");
    await signUp(page, noor);
    const tablet = await otherDevice(noor, "Noor's tablet");
    await openSettings(page);
    const sessions = page.getByRole("list", { name: "Sessions" }).getByRole("listitem");
    await eventually(async () => assert.equal(await sessions.count(), 2));
    const here = sessions.filter({ hasText: "This device" });
    const there = sessions.filter({ hasText: "Noor's tablet" });
    assert.match(await here.textContent(), /HeadlessChrome\//, "this device: Chromium's own user agent");
    assert.equal(await there.getByText("This device").count(), 0);
    assert.equal(await here.getByRole("button").count(), 0, "this device has no sign-out button here");
    await page.screenshot({ path: `${SCREENSHOT_DIR}/settings-${SETUP}.png`, fullPage: true });

    await there.getByRole("button", { name: "Sign out" }).click();
    await eventually(async () => assert.equal(await sessions.count(), 1));
    await here.waitFor();
    await expectSignedOut(tablet.page);

    await signIn(tablet.page, noor.email, PASSWORD);
    await expectNavigation(tablet.page, "**/dashboard");
    await page.reload();
    await eventually(async () => assert.equal(await sessions.count(), 2));
    await page.getByRole("button", { name: "Sign out everywhere else" }).click();
    await eventually(async () => assert.equal(await sessions.count(), 1));
    await here.waitFor(); // listed by the API, so this device's session is still valid
    await expectSignedOut(tablet.page, "/settings");
    await tablet.context.close();
    await context.close();
  });

  test("change email: “check your inbox”; the link mailed to the new address moves the account", async () => {
    const eve = newUser("Eve");
    const newEmail = newUser("Evelyn").email;
    const { page, context, watcher } = await person("Eve");
    await signUp(page, eve);
    await openSettings(page);
    const form = part(page, "Email");
    await form.getByLabel("New email").fill(newEmail);
    const since = mails.mark();
    await form.getByRole("button", { name: "Change email" }).click();
    await form.getByRole("status").getByText(`Check your inbox: we sent a link to ${newEmail}.`).waitFor();
    await page.getByText(`Signed in as Eve (${eve.email})`).waitFor(); // not moved yet
    const mail = await mails.waitFor({ to: newEmail, since });
    // The API's own link (BETTER_AUTH_URL), which redirects to the callbackURL.
    assert.equal(new URL(mail.url).origin, new URL(AUTH_URL).origin);
    assert.equal(new URL(mail.url).pathname, "/api/auth/verify-email");
    await page.goto(mail.url);
    await page.waitForURL(`${APP_URL}/settings?changed=email`);
    await page.getByText(`Your email address is now ${newEmail}.`).waitFor();
    await page.getByText(`Signed in as Eve (${newEmail})`).waitFor();

    // The spent link says so.
    await page.goto(mail.url);
    await page.waitForURL(/\/settings\?changed=email&error=INVALID_TOKEN$/);
    await form.getByRole("alert").getByText("The link to change your email did not work (INVALID_TOKEN).").waitFor();

    await page.getByRole("link", { name: "Back to your tasks" }).click();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL("**/login");
    watcher.allowHttp(401, "/api/auth/sign-in/email");
    await signIn(page, eve.email, PASSWORD);
    await expectRefused(page);
    await signIn(page, newEmail, PASSWORD);
    await expectNavigation(page, "**/dashboard");
    await page.getByText(`Signed in as ${newEmail}`).waitFor();
    await context.close();
  });

  test("delete account: a wrong password refuses; the password deletes it, signed out, and its tasks are gone", async () => {
    const zoe = newUser("Zoe");
    const { page, context, watcher } = await person("Zoe");
    await signUp(page, zoe);
    await addTask(page, "Zoe's secret plan");
    await openSettings(page);
    const form = part(page, "Delete account");

    watcher.allowHttp(400, "/api/auth/delete-user");
    await form.getByLabel("Password").fill("not my password");
    await form.getByRole("button", { name: "Delete my account" }).click();
    await form.getByRole("alert").getByText("Invalid password").waitFor();

    await form.getByLabel("Password").fill(PASSWORD);
    await form.getByRole("button", { name: "Delete my account" }).click();
    await page.waitForURL("**/login?deleted=1");
    await page.getByText("Your account was deleted.").waitFor();
    await expectSignedOut(page);

    watcher.allowHttp(401, "/api/auth/sign-in/email");
    await signIn(page, zoe.email, PASSWORD);
    await expectRefused(page);
    // The same email signs up as a new account, with none of the old tasks.
    await signUp(page, zoe);
    await page.getByText("No tasks here.").waitFor();
    await context.close();
  });
});
