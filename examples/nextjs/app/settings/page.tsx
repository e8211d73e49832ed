"use client";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useCallback, useEffect, useId, useState } from "react";
import { authClient, unreachable } from "@/lib/auth-client";
import { useAuth } from "@/lib/use-auth";

// Account settings, all through Better Auth's client. Changing the email and deleting the account need the API's
// BETTER_AUTH_OPTIONS to enable them: {"user":{"changeEmail":{"enabled":true},"deleteUser":{"enabled":true}}}.
export default function SettingsPage() {
  return (
    <Suspense>
      <Settings />
    </Suspense>
  );
}

function Settings() {
  const { user, session, isPending } = useAuth();
  const router = useRouter();

  // As the dashboard: the page guards itself (a revoked session is seen here, not by proxy.ts).
  useEffect(() => {
    if (!isPending && !user) router.replace("/login");
  }, [isPending, user, router]);

  if (!user || !session) return <p className="muted">Loading…</p>;
  return (
    <>
      <div className="row spread">
        <h1>Settings</h1>
        <Link href="/dashboard">Back to your tasks</Link>
      </div>
      <p className="muted">
        Signed in as {user.name} ({user.email})
      </p>
      <Name name={user.name} />
      <Email email={user.email} />
      <Password />
      <Sessions currentId={session.id} />
      <DeleteAccount />
    </>
  );
}

type AuthError = { message?: string; code?: string; status?: number; statusText?: string };

/** The API's message, else its code, else the HTTP status (delete-user, when it is off, is a bare 404). */
const describeError = (error: AuthError) => error.message || error.code || `${error.status} ${error.statusText}`;

/**
 * One form's state around a Better Auth call (which answers `{ data, error }`, as on the other pages): whether it
 * is running, the error to show, and whether it succeeded. `run` returns true on success.
 */
function useCall() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const run = useCallback(async (call: () => Promise<{ error: AuthError | null }>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    setDone(false);
    const { error } = await call().catch(unreachable);
    setBusy(false);
    if (error) setError(describeError(error));
    else setDone(true);
    return !error;
  }, []);
  const alert = error && (
    <p className="alert" role="alert">
      {error}
    </p>
  );
  /** Under a form: the call's error, or once it succeeded, `notice`. */
  const outcome = (notice: React.ReactNode) => (
    <>
      {alert}
      {done && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
    </>
  );
  return { busy, done, run, alert, outcome };
}

/** A titled part of the page (a region named by its heading, which is how the tests find it). */
function Section({ title, children }: { title: string; children: React.ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

function Name({ name }: { name: string }) {
  const { busy, run, outcome } = useCall();
  return (
    <Section title="Name">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          // The client rereads the session afterwards, so the new name shows everywhere (and in other tabs).
          run(() => authClient.updateUser({ name: String(new FormData(event.currentTarget).get("name")) }));
        }}
      >
        <label>
          Name
          <input name="name" defaultValue={name} autoComplete="name" required />
        </label>
        {outcome("Your name was saved.")}
        <button type="submit" disabled={busy}>
          Save name
        </button>
      </form>
    </Section>
  );
}

function Email({ email }: { email: string }) {
  const params = useSearchParams();
  const { busy, run, outcome } = useCall();
  const [sentTo, setSentTo] = useState("");
  // The mailed link opens the API's /api/auth/verify-email, which moves the account and redirects to callbackURL
  // (/settings?changed=email), or to callbackURL&error=CODE when the link is spent or expired.
  const linkError = params.get("error");
  const changed = params.get("changed") === "email" && !linkError;

  return (
    <Section title="Email">
      {changed && <p className="notice">Your email address is now {email}.</p>}
      {linkError && (
        <p className="alert" role="alert">
          The link to change your email did not work ({linkError}).
        </p>
      )}
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const newEmail = String(new FormData(event.currentTarget).get("email"));
          const sent = await run(() =>
            authClient.changeEmail({ newEmail, callbackURL: `${window.location.origin}/settings?changed=email` }),
          );
          if (sent) setSentTo(newEmail);
        }}
      >
        <label>
          New email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        {outcome(
          <>Check your inbox: we sent a link to {sentTo}. Your address changes to it when you open the link.</>,
        )}
        <button type="submit" disabled={busy}>
          Change email
        </button>
      </form>
    </Section>
  );
}

function Password() {
  const { busy, run, outcome } = useCall();
  return (
    <Section title="Password">
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const data = new FormData(form);
          // With revokeOtherSessions the API ends every session of the user and starts a new one for this device.
          const changed = await run(() =>
            authClient.changePassword({
              currentPassword: String(data.get("currentPassword")),
              newPassword: String(data.get("newPassword")),
              revokeOtherSessions: data.get("revokeOtherSessions") === "on",
            }),
          );
          if (changed) form.reset();
        }}
      >
        <label>
          Current password
          <input name="currentPassword" type="password" autoComplete="current-password" required />
        </label>
        <label>
          New password <span className="muted">(at least 8 characters)</span>
          <input name="newPassword" type="password" autoComplete="new-password" minLength={8} required />
        </label>
        <label className="check">
          <input name="revokeOtherSessions" type="checkbox" />
          Sign out other devices
        </label>
        {outcome("Your password was changed.")}
        <button type="submit" disabled={busy}>
          Change password
        </button>
      </form>
    </Section>
  );
}

type Session = { id: string; token: string; createdAt: Date; userAgent?: string | null };

function Sessions({ currentId }: { currentId: string }) {
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const { busy, run, alert } = useCall();

  // list-sessions needs a fresh session (signed in within a day); otherwise its 403 SESSION_NOT_FRESH shows.
  const load = useCallback(
    () =>
      run(async () => {
        const { data, error } = await authClient.listSessions();
        if (data) setSessions(data);
        return { error };
      }),
    [run],
  );
  // Again when this device's session changes (change-password with "sign out other devices" starts a new one).
  useEffect(() => {
    load();
  }, [load, currentId]);

  const revoke = (change: () => Promise<{ error: AuthError | null }>) => run(change).then((ok) => ok && load());

  return (
    <Section title="Where you are signed in">
      {alert}
      {!sessions ? (
        !alert && <p className="muted">Loading sessions…</p>
      ) : (
        <ul className="sessions" aria-label="Sessions">
          {sessions.map((s) => (
            <li key={s.id} className="session">
              <div className="body">
                <div>{s.userAgent || "Unknown device"}</div>
                <div className="muted">
                  Signed in {new Date(s.createdAt).toLocaleString()}
                  {s.id === currentId && <strong> · This device</strong>}
                </div>
              </div>
              {s.id !== currentId && (
                <button
                  className="danger"
                  disabled={busy}
                  onClick={() => revoke(() => authClient.revokeSession({ token: s.token }))}
                >
                  Sign out
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <button
        className="secondary"
        disabled={busy || !sessions || sessions.length < 2}
        onClick={() => revoke(() => authClient.revokeOtherSessions())}
      >
        Sign out everywhere else
      </button>
    </Section>
  );
}

function DeleteAccount() {
  const { busy, run, alert } = useCall();
  return (
    <Section title="Delete account">
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const password = String(new FormData(event.currentTarget).get("password"));
          // disableSignal: the client would reread the session and this page would go to /login on its own.
          // A full page load instead, so that nothing of the account stays in memory (the session, the JWT).
          if (await run(() => authClient.deleteUser({ password }, { disableSignal: true }))) {
            window.location.assign("/login?deleted=1");
          }
        }}
      >
        <p className="muted">
          This deletes your account and all your tasks, and signs you out everywhere. It cannot be undone.
        </p>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {alert}
        <button type="submit" className="danger" disabled={busy}>
          Delete my account
        </button>
      </form>
    </Section>
  );
}
