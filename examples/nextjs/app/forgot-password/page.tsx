"use client";
import Link from "next/link";
import { useState } from "react";
import { authClient, unreachable } from "@/lib/auth-client";

export default function ForgotPasswordPage() {
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get("email"));
    setBusy(true);
    setError(null);
    // The mailed link goes to the API's /api/auth/reset-password/<token>, which redirects to
    // redirectTo?token=… (redirectTo's origin must be one of the API's trusted origins, CORS_ORIGINS).
    const { error } = await authClient.requestPasswordReset({
      email,
      redirectTo: `${window.location.origin}/reset-password`,
    }).catch(unreachable);
    setBusy(false);
    if (error) setError(error.message ?? "Could not send the email");
    else setSent(true);
  }

  return (
    <>
      <h1>Forgot your password?</h1>
      {sent ? (
        <p className="notice" role="status">
          If an account exists for that email, a link to reset its password is on its way.
        </p>
      ) : (
        <form onSubmit={onSubmit}>
          <label>
            Email
            <input name="email" type="email" autoComplete="email" required />
          </label>
          {error && <p className="alert" role="alert">{error}</p>}
          <button type="submit" disabled={busy}>
            Email me a link
          </button>
        </form>
      )}
      <p>
        <Link href="/login">Back to sign in</Link>
      </p>
    </>
  );
}
