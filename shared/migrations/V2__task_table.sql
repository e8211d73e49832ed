-- Our one table. Rows belong to a Better Auth user and go with it.
create table if not exists task (
    id          bigint generated always as identity primary key,
    user_id     text not null references "user" ("id") on delete cascade,
    title       text not null check (char_length(title) between 1 and 200),
    description text check (char_length(description) <= 1000),
    completed   boolean not null default false,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);

-- Serves the list query (newest first, per user) and every by-id lookup's ownership check.
create index if not exists task_user_id_created_at_idx on task (user_id, created_at desc, id desc);
