-- 監査ログ: sign-ins, views of another person's records, exports, and changes to designations,
-- plans, the roster and content. Append-only, and chained: each entry holds the SHA-256 of the
-- entry before it (computed by the application, see kenshu-core/src/audit.rs), so an altered
-- or deleted entry is found by `kenshu audit verify`.
create table audit_log (
    institution_id uuid not null references institutions (id),
    seq bigint not null check (seq > 0),
    at timestamptz not null,
    actor_id uuid,
    actor text not null,
    action text not null,
    subject text not null default '',
    detail text not null default '',
    prev_hash bytea not null,
    hash bytea not null,
    primary key (institution_id, seq)
);

create index audit_log_at on audit_log (institution_id, at desc);
create index audit_log_action on audit_log (institution_id, action, seq desc);

-- Nobody updates, deletes or truncates it, whatever their privileges on the table.
create function audit_log_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only: % is not allowed', tg_op
        using errcode = 'insufficient_privilege';
end
$$;

create trigger audit_log_no_change before update or delete on audit_log
    for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_append_only();

-- Where the migrating role may create roles, the table belongs to a role of its own, so the
-- application's role holds only SELECT and INSERT on it and cannot drop the triggers either.
do $$
begin
    if not exists (select from pg_roles where rolname = 'kenshu_audit_owner') then
        if (select rolsuper or rolcreaterole from pg_roles where rolname = current_user) then
            create role kenshu_audit_owner nologin;
        end if;
    end if;
    if exists (select from pg_roles where rolname = 'kenshu_audit_owner') then
        execute format('grant kenshu_audit_owner to %I', current_user);
        alter table audit_log owner to kenshu_audit_owner;
        alter function audit_log_append_only() owner to kenshu_audit_owner;
        execute format('grant select, insert on audit_log to %I', current_user);
        execute format('revoke kenshu_audit_owner from %I', current_user);
    end if;
exception when others then
    raise notice 'audit_log stays owned by % (%): the triggers still refuse changes', current_user, sqlerrm;
end
$$;
