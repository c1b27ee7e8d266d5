-- Sessions are cached in each portal instance (kenshu-web `session_cache`): a signed-in page
-- then costs no session query. Whatever changes what the session query reads tells every
-- instance at commit, on the channel `kenshu_sessions`, and the instances forget what they
-- cached: 'u' and a person's id for their sessions, designations and account; 'i' and an
-- institution's id for its name, code and divisions. A notification is sent once per distinct
-- payload and transaction (PostgreSQL folds duplicates), so a roster import of thousands sends
-- one per changed person, and the statement-level triggers below add no per-row work.

create function notify_sessions_of_people() returns trigger language plpgsql as $$
begin
    if tg_op in ('DELETE', 'UPDATE') then
        perform pg_notify('kenshu_sessions', 'u' || user_id::text)
        from (select distinct user_id from old_rows where user_id is not null) o;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        perform pg_notify('kenshu_sessions', 'u' || user_id::text)
        from (select distinct user_id from new_rows where user_id is not null) n;
    end if;
    return null;
end $$;

-- Sessions: only an end matters (a new session is not cached anywhere yet; `seen_at` moving on
-- changes nothing cached).
create trigger sessions_notify_delete after delete on sessions
    referencing old table as old_rows
    for each statement execute function notify_sessions_of_people();

-- Designations decide a protection officer's divisions.
create trigger designations_notify_insert after insert on designations
    referencing new table as new_rows
    for each statement execute function notify_sessions_of_people();
create trigger designations_notify_update after update on designations
    referencing old table as old_rows new table as new_rows
    for each statement execute function notify_sessions_of_people();
create trigger designations_notify_delete after delete on designations
    referencing old table as old_rows
    for each statement execute function notify_sessions_of_people();

-- Accounts: what the session query reads of a person. Other updates (a password hash, a
-- placement date) send nothing.
create function notify_sessions_of_accounts() returns trigger language plpgsql as $$
begin
    perform pg_notify('kenshu_sessions', 'u' || n.id::text)
    from new_rows n join old_rows o on o.institution_id = n.institution_id and o.id = n.id
    where (o.login_id, o.name, o.role, o.division_id, o.must_change_password, o.active)
          is distinct from (n.login_id, n.name, n.role, n.division_id, n.must_change_password, n.active);
    return null;
end $$;

create trigger users_notify_update after update on users
    referencing old table as old_rows new table as new_rows
    for each statement execute function notify_sessions_of_accounts();

-- Institutions and divisions: their names and codes are on every page.
create function notify_sessions_of_institution() returns trigger language plpgsql as $$
begin
    if tg_table_name = 'institutions' then
        perform pg_notify('kenshu_sessions', 'i' || n.id::text)
        from new_rows n join old_rows o on o.id = n.id
        where (o.code, o.name) is distinct from (n.code, n.name);
    else
        perform pg_notify('kenshu_sessions', 'i' || x.institution_id::text)
        from (select distinct n.institution_id from new_rows n
              join old_rows o on o.institution_id = n.institution_id and o.id = n.id
              where o.name is distinct from n.name) x;
    end if;
    return null;
end $$;

create trigger institutions_notify_update after update on institutions
    referencing old table as old_rows new table as new_rows
    for each statement execute function notify_sessions_of_institution();
create trigger divisions_notify_update after update on divisions
    referencing old table as old_rows new table as new_rows
    for each statement execute function notify_sessions_of_institution();
