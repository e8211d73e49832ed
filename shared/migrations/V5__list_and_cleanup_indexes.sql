-- Indexes for two queries that had none:
-- - the task list with sort=title orders a user's tasks by lower(title), id: without this index
--   PostgreSQL reads every task of the user and sorts them on each page;
-- - the rate limiter deletes buckets idle for a day on each call, by "lastRequest".
-- Both are plain indexes: a Better Auth server on the same database neither needs nor minds them.
create index if not exists task_user_id_lower_title_idx on task (user_id, lower(title), id);
create index if not exists "rateLimit_lastRequest_idx" on "rateLimit" ("lastRequest");
