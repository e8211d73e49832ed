"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { unreachable } from "@/lib/auth-client";
import { useAuth } from "@/lib/use-auth";

export default function SignUpPage() {
  const { signUp } = useAuth();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    const { error } = await signUp(String(form.get("name")), String(form.get("email")), String(form.get("password"))).catch(
      unreachable,
    );
    setBusy(false);
    if (error) setError(error.message ?? "Sign-up failed");
    else router.push("/dashboard");
  }

  return (
    <>
      <h1>Create an account</h1>
      <form onSubmit={onSubmit}>
        <label>
          Name
          <input name="name" autoComplete="name" required />
        </label>
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password <span className="muted">(at least 8 characters)</span>
          <input name="password" type="password" autoComplete="new-password" minLength={8} required />
        </label>
        {error && <p className="alert" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>
          Sign up
        </button>
      </form>
      <p>
        Have an account? <Link href="/login">Sign in</Link>
      </p>
    </>
  );
}
