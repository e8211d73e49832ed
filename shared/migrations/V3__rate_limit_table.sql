-- Better Auth's rateLimit table (its migrator's DDL when rateLimit.storage = "database"), used
-- for the sign-in/sign-up limits so they hold across Lambda instances.
create table if not exists "rateLimit" ("id" text not null primary key, "key" text not null unique, "count" integer not null, "lastRequest" bigint not null);
