"use client";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useState } from "react";
import { unreachable } from "@/lib/auth-client";
import { useAuth } from "@/lib/use-auth";

export default function LoginPage() {
  return (
    <Suspense>
      <LoginForm />
    </Suspense>
  );
}

function LoginForm() {
  const { signIn, user } = useAuth();
  const router = useRouter();
  const params = useSearchParams();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    const { error } = await signIn(String(form.get("email")), String(form.get("password"))).catch(unreachable);
    setBusy(false);
    if (error) setError(error.message ?? "Sign-in failed");
    else router.push("/dashboard");
  }

  return (
    <>
      <h1>Sign in</h1>
      {params.get("expired") && <p className="notice">Your session has ended. Please sign in again.</p>}
      {params.get("reset") && <p className="notice">Your password was changed. Sign in with the new one.</p>}
      {params.get("deleted") && <p className="notice">Your account was deleted.</p>}
      {user && !params.get("expired") && (
        <p className="notice">
          You are signed in as {user.email}. <Link href="/dashboard">Go to your tasks</Link>
        </p>
      )}
      <form onSubmit={onSubmit}>
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {error && <p className="alert" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <p className="row spread">
        <Link href="/signup">Create an account</Link>
        <Link href="/forgot-password">Forgot your password?</Link>
      </p>
    </>
  );
}
