-- A person's language (issue 13, item 6): the one they chose on the settings page or with the
-- switch in the header while signed in; null when they have not chosen (then the browser
-- decides). The session query reads it, so a change to it tells the instances that cache the
-- session (the account trigger of 0043, now with `language` among the columns it compares).
alter table users add column language text check (language in ('ja', 'en'));

create or replace function notify_sessions_of_accounts() returns trigger language plpgsql as $$
begin
    perform pg_notify('kenshu_sessions', 'u' || n.id::text)
    from new_rows n join old_rows o on o.institution_id = n.institution_id and o.id = n.id
    where (o.login_id, o.name, o.role, o.division_id, o.must_change_password, o.active, o.language)
          is distinct from (n.login_id, n.name, n.role, n.division_id, n.must_change_password, n.active, n.language);
    return null;
end $$;
