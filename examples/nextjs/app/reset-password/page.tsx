"use client";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useState } from "react";
import { authClient, unreachable } from "@/lib/auth-client";

// The API's reset link redirects here with ?token=… (or ?error=INVALID_TOKEN when the link is spent or expired).
export default function ResetPasswordPage() {
  return (
    <Suspense>
      <ResetPasswordForm />
    </Suspense>
  );
}

function ResetPasswordForm() {
  const params = useSearchParams();
  const router = useRouter();
  const token = params.get("token");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const newPassword = String(new FormData(event.currentTarget).get("password"));
    setBusy(true);
    setError(null);
    const { error } = await authClient.resetPassword({ newPassword, token: token! }).catch(unreachable);
    setBusy(false);
    if (error) setError(error.message ?? "Could not reset the password");
    else router.push("/login?reset=1");
  }

  if (!token) {
    return (
      <>
        <h1>Reset your password</h1>
        <p className="alert" role="alert">
          This link is invalid or has expired. <Link href="/forgot-password">Ask for a new one</Link>.
        </p>
      </>
    );
  }
  return (
    <>
      <h1>Choose a new password</h1>
      <form onSubmit={onSubmit}>
        <label>
          New password <span className="muted">(at least 8 characters)</span>
          <input name="password" type="password" autoComplete="new-password" minLength={8} required />
        </label>
        {error && <p className="alert" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>
          Set password
        </button>
      </form>
    </>
  );
}
