-- Better Auth 1.7.0-1.7.2's migrator gave "account" a required "issuer" column, which later
-- versions dropped again. This API writes credential accounts without one, so on such a
-- database sign-up would fail on the NOT NULL. Where the column exists, it becomes optional:
-- Better Auth of those versions still writes it, and later ones never read it. Nothing happens
-- on any other database.
do $$
begin
  if exists (select 1 from information_schema.columns
             where table_schema = current_schema() and table_name = 'account'
               and column_name = 'issuer' and is_nullable = 'NO') then
    alter table "account" alter column "issuer" drop not null;
  end if;
end
$$;
