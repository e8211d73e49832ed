"use client";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useCallback, useEffect, useState } from "react";
import { authClient, unreachable } from "@/lib/auth-client";
import { ApiError, createTask, deleteTask, listTasks, toggleTask, updateTask, type Task, type TaskFilter } from "@/lib/api";
import { useAuth } from "@/lib/use-auth";

export default function DashboardPage() {
  return (
    <Suspense>
      <Dashboard />
    </Suspense>
  );
}

function Dashboard() {
  const { user, isPending, signOut } = useAuth();
  const router = useRouter();

  // The page guards itself in both setups (proxy.ts only sees that a cookie exists, and only first-party).
  useEffect(() => {
    if (!isPending && !user) router.replace("/login");
  }, [isPending, user, router]);

  if (!user) return <p className="muted">Loading…</p>;
  return (
    <>
      <div className="row spread">
        <h1>{user.name}&rsquo;s tasks</h1>
        <div className="row">
          <Link href="/settings">Settings</Link>
          <button
            className="secondary"
            onClick={async () => {
              await signOut();
              router.push("/login");
            }}
          >
            Sign out
          </button>
        </div>
      </div>
      <p className="muted">Signed in as {user.email}</p>
      <EmailVerification email={user.email} verified={user.emailVerified} />
      <Tasks userId={user.id} />
    </>
  );
}

function EmailVerification({ email, verified }: { email: string; verified: boolean }) {
  const params = useSearchParams();
  const [state, setState] = useState<"idle" | "sending" | "sent">("idle");
  const [error, setError] = useState<string | null>(null);
  // A failed link (expired, already used) comes back as /dashboard?error=CODE.
  const linkError = params.get("error");

  if (verified) return <p className="muted">Email verified ✓</p>;
  return (
    <div className="notice row spread">
      <span>{state === "sent" ? `Verification email sent to ${email}.` : "Your email is not verified yet."}</span>
      <button
        className="secondary"
        disabled={state === "sending"}
        onClick={async () => {
          setState("sending");
          setError(null);
          // The mailed link opens the API's /api/auth/verify-email, which redirects back to callbackURL.
          const { error } = await authClient.sendVerificationEmail({
            email,
            callbackURL: `${window.location.origin}/dashboard`,
          }).catch(unreachable);
          setState(error ? "idle" : "sent");
          if (error) setError(error.message ?? "Could not send the email");
        }}
      >
        Resend verification email
      </button>
      {(error || linkError) && (
        <p className="alert" role="alert">
          {error ?? `The verification link did not work (${linkError}).`}
        </p>
      )}
    </div>
  );
}

function Tasks({ userId }: { userId: string }) {
  const [filter, setFilter] = useState<TaskFilter>({ status: "all", sort: "created" });
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const show = (e: unknown) => setError(e instanceof ApiError ? e.detail : String(e));
  const load = useCallback(() => listTasks(userId, filter).then(setTasks, show), [userId, filter]);
  useEffect(() => {
    load();
  }, [load]);

  /** Runs a change, then reloads the list (so the filter and the order stay right). False if it failed. */
  async function run(change: () => Promise<unknown>): Promise<boolean> {
    setError(null);
    try {
      await change();
    } catch (e) {
      show(e);
      return false;
    }
    await load();
    return true;
  }

  return (
    <section>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const data = new FormData(form);
          const description = String(data.get("description")).trim();
          run(async () => {
            await createTask(userId, { title: String(data.get("title")), ...(description && { description }) });
            form.reset();
          });
        }}
      >
        <label>
          New task
          <input name="title" placeholder="What needs doing?" required />
        </label>
        <textarea name="description" placeholder="Details (optional)" rows={2} aria-label="Description" />
        <button type="submit">Add task</button>
      </form>

      <div className="row filters">
        <label htmlFor="status">Show</label>
        <select
          id="status"
          value={filter.status}
          onChange={(e) => setFilter({ ...filter, status: e.target.value as TaskFilter["status"] })}
        >
          <option value="all">All</option>
          <option value="pending">Pending</option>
          <option value="completed">Completed</option>
        </select>
        <label htmlFor="sort">Sort by</label>
        <select id="sort" value={filter.sort} onChange={(e) => setFilter({ ...filter, sort: e.target.value as TaskFilter["sort"] })}>
          <option value="created">Newest</option>
          <option value="title">Title</option>
        </select>
      </div>

      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
      {tasks === null ? (
        <p className="muted">Loading tasks…</p>
      ) : tasks.length === 0 ? (
        <p className="muted">No tasks here.</p>
      ) : (
        <ul className="tasks" aria-label="Tasks">
          {tasks.map((task) => (
            <TaskItem
              key={task.id}
              task={task}
              onToggle={() => run(() => toggleTask(userId, task.id))}
              onSave={(changes) => run(() => updateTask(userId, task.id, changes))}
              onDelete={() => run(() => deleteTask(userId, task.id))}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function TaskItem({
  task,
  onToggle,
  onSave,
  onDelete,
}: {
  task: Task;
  onToggle: () => void;
  onSave: (changes: { title: string; description: string | null }) => Promise<boolean>;
  onDelete: () => void;
}) {
  const [editing, setEditing] = useState(false);

  if (editing) {
    return (
      <li className="task">
        <form
          className="body"
          onSubmit={async (event) => {
            event.preventDefault();
            const data = new FormData(event.currentTarget);
            const description = String(data.get("description")).trim();
            if (await onSave({ title: String(data.get("title")), description: description || null })) setEditing(false);
          }}
        >
          <input name="title" defaultValue={task.title} aria-label="Title" required />
          <textarea name="description" defaultValue={task.description ?? ""} aria-label="Description" rows={2} />
          <div className="row">
            <button type="submit">Save</button>
            <button type="button" className="secondary" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      </li>
    );
  }
  return (
    <li className={task.completed ? "task done" : "task"}>
      <input type="checkbox" checked={task.completed} onChange={onToggle} aria-label={`Done: ${task.title}`} />
      <div className="body">
        <div className="title">{task.title}</div>
        {task.description && <div className="muted">{task.description}</div>}
      </div>
      <button className="secondary" onClick={() => setEditing(true)}>
        Edit
      </button>
      <button className="danger" onClick={onDelete}>
        Delete
      </button>
    </li>
  );
}
