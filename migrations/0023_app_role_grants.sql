-- Least privilege: the portal serves as an application role that owns nothing (an owner may
-- ALTER TABLE … DISABLE TRIGGER or replace a trigger function) and holds only what it needs.
-- Migrations run as the owner, which calls this function after every migration with the
-- application role's name (kenshu_db::roles::grant_app), so that tables added by later
-- migrations are covered too. It runs with the privileges of its caller: only the owner (or a
-- superuser) can grant anything with it.
create function kenshu_grant_app(app regrole) returns void language plpgsql as $$
declare
    rel record;
begin
    if pg_has_role(app, (select nspowner from pg_namespace where nspname = 'public'), 'MEMBER') then
        raise exception 'role % owns the schema: the application must serve as a role that owns nothing', app;
    end if;
    execute format('grant usage on schema public to %s', app);
    execute format('revoke create on schema public from %s', app);
    for rel in
        select c.oid::regclass as name, c.relname, c.relkind from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'S')
    loop
        execute format('revoke all on %s from %s', rel.name, app);
        if rel.relkind = 'S' then
            execute format('grant usage, select on sequence %s to %s', rel.name, app);
        elsif rel.relname = 'audit_log' then
            -- Append and read: never update, delete or truncate.
            execute format('grant select, insert on %s to %s', rel.name, app);
        elsif rel.relname = '_sqlx_migrations' then
            -- Read, to tell whether the database is up to date.
            execute format('grant select on %s to %s', rel.name, app);
        else
            -- Reads and writes of the portal and of the triggers that run as it (the overview's
            -- tallies, the progress by division). No TRUNCATE, REFERENCES or TRIGGER.
            execute format('grant select, insert, update, delete on %s to %s', rel.name, app);
        end if;
    end loop;
    execute format('grant execute on all functions in schema public to %s', app);
    execute format('revoke execute on function kenshu_grant_app(regrole) from %s', app);
end
$$;

revoke execute on function kenshu_grant_app(regrole) from public;
