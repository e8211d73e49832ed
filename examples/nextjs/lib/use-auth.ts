"use client";
import { authClient, forgetToken, getToken } from "./auth-client";

/** The session and the auth actions, for client components. */
export function useAuth() {
  const { data, isPending, refetch } = authClient.useSession();
  return {
    session: data?.session ?? null,
    user: data?.user ?? null,
    isPending,
    refetch,
    // Each returns Better Auth's { data, error }; error.message is the API's message.
    signUp: (name: string, email: string, password: string) => authClient.signUp.email({ name, email, password }),
    signIn: (email: string, password: string) => authClient.signIn.email({ email, password }),
    signOut: async () => {
      forgetToken();
      return authClient.signOut();
    },
    getToken,
  };
}
