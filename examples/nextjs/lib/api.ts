// One of the two files a team changes (the other is lib/auth-client.ts): the tasks API, with a Bearer JWT.
import { forgetToken, getToken } from "./auth-client";
import { apiURL } from "./config";

export type Task = {
  id: number;
  user_id: string;
  title: string;
  description: string | null;
  completed: boolean;
  created_at: string;
  updated_at: string;
};

/** A refused request; `detail` is the API's `{"detail": "..."}`, for showing to the user. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/**
 * Calls the API with `Authorization: Bearer <jwt>`. Without a session, or when the API answers 401 (the JWT
 * expired or was refused), it sends the browser to /login and throws.
 */
export async function fetchWithAuth<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    const token = await getToken();
    if (!token) return toLogin();
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${token}`);
    if (init.body) headers.set("content-type", "application/json");
    res = await fetch(`${apiURL}${path}`, { ...init, headers });
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(0, "Could not reach the server. Please try again."); // offline, API down, or CORS refused
  }
  if (res.status === 401) {
    forgetToken();
    return toLogin();
  }
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body?.detail ?? `${res.status} ${res.statusText}`);
  return body as T;
}

function toLogin(): never {
  window.location.assign("/login?expired=1");
  throw new ApiError(401, "Your session has ended; please sign in again.");
}

export type TaskFilter = { status: "all" | "pending" | "completed"; sort: "created" | "title" };

const tasks = (userId: string) => `/api/${encodeURIComponent(userId)}/tasks`;

export const listTasks = (userId: string, { status, sort }: TaskFilter) =>
  fetchWithAuth<Task[]>(`${tasks(userId)}?${new URLSearchParams({ status, sort })}`);

export const createTask = (userId: string, task: { title: string; description?: string }) =>
  fetchWithAuth<Task>(tasks(userId), { method: "POST", body: JSON.stringify(task) });

export const updateTask = (
  userId: string,
  id: number,
  changes: { title?: string; description?: string | null; completed?: boolean },
) => fetchWithAuth<Task>(`${tasks(userId)}/${id}`, { method: "PUT", body: JSON.stringify(changes) });

export const toggleTask = (userId: string, id: number) =>
  fetchWithAuth<Task>(`${tasks(userId)}/${id}/complete`, { method: "PATCH" });

export const deleteTask = (userId: string, id: number) =>
  fetchWithAuth<Task>(`${tasks(userId)}/${id}`, { method: "DELETE" });
