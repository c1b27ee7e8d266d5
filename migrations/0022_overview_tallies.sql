-- The chief officer's overview reads kept tallies instead of counting 100,000 people's
-- assignments on each request. Per institution and fiscal year that has been viewed:
--   overview_state        as of which day the tallies hold, and whether the plan changed since
--   overview_assignments  each person's assignments: division, deadline, outcome, month done
--   overview_counts       those, counted by division, deadline, outcome and month
--   overview_heads        people with at least one assignment, by division
--   overview_dirty        people whose facts changed since the last refresh (kept by triggers)
-- A refresh (kenshu_db::overview::refresh, under the state row's lock) recomputes the dirty
-- people, and the people whose designations, placements or leaving date took or lost effect
-- between the day the tallies hold and the day asked for, and moves the counts by the
-- difference. Overdue is not kept: it is the pending assignments whose deadline has passed,
-- read from the counts by deadline, so the tallies need no rollover at midnight.

create table overview_state (
    institution_id uuid not null references institutions (id),
    fiscal_year integer not null,
    -- The day the assignment facts are taken at.
    as_of date not null,
    -- The plan changed: the next refresh recomputes everyone.
    stale boolean not null default true,
    refreshed_at timestamptz not null default now(),
    primary key (institution_id, fiscal_year)
);

create table overview_assignments (
    institution_id uuid not null,
    fiscal_year integer not null,
    user_id uuid not null,
    course_code text not null,
    division_id uuid not null,
    deadline date not null,
    -- p: pending (not started or in progress), e: completed online, i: completed in person,
    -- x: exempt.
    outcome "char" not null check (outcome in ('p', 'e', 'i', 'x')),
    -- Month of completion in the fiscal year (0 = April or before, 11 = March or after);
    -- -1 when not completed.
    month smallint not null,
    primary key (institution_id, fiscal_year, user_id, course_code)
);

create table overview_counts (
    institution_id uuid not null,
    fiscal_year integer not null,
    division_id uuid not null,
    -- The deadline of pending assignments (what decides overdue); -infinity for the others.
    deadline date not null,
    outcome "char" not null,
    month smallint not null,
    n bigint not null,
    primary key (institution_id, fiscal_year, division_id, deadline, outcome, month)
);

create table overview_heads (
    institution_id uuid not null,
    fiscal_year integer not null,
    division_id uuid not null,
    people bigint not null,
    primary key (institution_id, fiscal_year, division_id)
);

create table overview_dirty (
    institution_id uuid not null,
    fiscal_year integer not null,
    user_id uuid not null,
    primary key (institution_id, fiscal_year, user_id)
);

-- The people a refresh recomputes; rows live only inside the refreshing transaction.
create table overview_scope (
    institution_id uuid not null,
    fiscal_year integer not null,
    user_id uuid not null,
    primary key (institution_id, fiscal_year, user_id)
);

-- Writers take this lock shared for the institution before marking people dirty; the refresh
-- that first creates an institution's state takes it exclusively, so that no writer can have
-- looked for the state before it existed and still commit after the first count's snapshot.
create function overview_writer_lock(institution uuid) returns void language sql as $$
    select pg_advisory_xact_lock_shared(1870983286, hashtext(institution::text))
$$;

-- Marks the people of the changed rows dirty in every tallied year of their institution.
-- Statement-level, so that an import of 100,000 rows fires it once per statement.
create function overview_mark_people() returns trigger language plpgsql as $$
begin
    if tg_op in ('INSERT', 'UPDATE') then
        perform overview_writer_lock(i) from (select distinct institution_id as i from new_rows) x;
        insert into overview_dirty (institution_id, fiscal_year, user_id)
        select distinct s.institution_id, s.fiscal_year, r.user_id
        from new_rows r join overview_state s on s.institution_id = r.institution_id
        on conflict do nothing;
    end if;
    if tg_op in ('DELETE', 'UPDATE') then
        perform overview_writer_lock(i) from (select distinct institution_id as i from old_rows) x;
        insert into overview_dirty (institution_id, fiscal_year, user_id)
        select distinct s.institution_id, s.fiscal_year, r.user_id
        from old_rows r join overview_state s on s.institution_id = r.institution_id
        on conflict do nothing;
    end if;
    return null;
end
$$;

-- People: new ones, and changes of the facts the assignment rule reads.
create function overview_mark_users() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        perform overview_writer_lock(i) from (select distinct institution_id as i from new_rows) x;
        insert into overview_dirty (institution_id, fiscal_year, user_id)
        select s.institution_id, s.fiscal_year, r.id
        from new_rows r join overview_state s on s.institution_id = r.institution_id
        on conflict do nothing;
    else
        perform overview_writer_lock(i) from (select distinct institution_id as i from new_rows) x;
        insert into overview_dirty (institution_id, fiscal_year, user_id)
        select s.institution_id, s.fiscal_year, r.id
        from new_rows r
        join old_rows o on o.institution_id = r.institution_id and o.id = r.id
        join overview_state s on s.institution_id = r.institution_id
        where (r.division_id, r.role, r.status, r.left_on, r.hired_on)
              is distinct from (o.division_id, o.role, o.status, o.left_on, o.hired_on)
        on conflict do nothing;
    end if;
    return null;
end
$$;

create trigger users_overview_insert after insert on users referencing new table as new_rows
    for each statement execute function overview_mark_users();
create trigger users_overview_update after update on users referencing new table as new_rows
    old table as old_rows for each statement execute function overview_mark_users();

-- An approved plan, or a course of one, changed: that year is recounted whole. Drafts do not
-- count, so they are edited without a recount.
create function overview_plans_changed() returns trigger language plpgsql as $$
begin
    if tg_op in ('INSERT', 'UPDATE') then
        perform overview_writer_lock(i) from (select distinct institution_id as i from new_rows) x;
        update overview_state s set stale = true from new_rows r
        where r.status = 'approved' and s.institution_id = r.institution_id and s.fiscal_year = r.fiscal_year;
    end if;
    if tg_op in ('DELETE', 'UPDATE') then
        perform overview_writer_lock(i) from (select distinct institution_id as i from old_rows) x;
        update overview_state s set stale = true from old_rows r
        where r.status = 'approved' and s.institution_id = r.institution_id and s.fiscal_year = r.fiscal_year;
    end if;
    return null;
end
$$;

create function overview_plan_courses_changed() returns trigger language plpgsql as $$
begin
    if tg_op in ('INSERT', 'UPDATE') then
        perform overview_writer_lock(i) from (select distinct institution_id as i from new_rows) x;
        update overview_state s set stale = true
        from new_rows r join training_plans p on p.institution_id = r.institution_id and p.id = r.plan_id
        where p.status = 'approved' and s.institution_id = p.institution_id and s.fiscal_year = p.fiscal_year;
    end if;
    if tg_op in ('DELETE', 'UPDATE') then
        perform overview_writer_lock(i) from (select distinct institution_id as i from old_rows) x;
        update overview_state s set stale = true
        from old_rows r join training_plans p on p.institution_id = r.institution_id and p.id = r.plan_id
        where p.status = 'approved' and s.institution_id = p.institution_id and s.fiscal_year = p.fiscal_year;
    end if;
    return null;
end
$$;

-- The statement-level triggers of the tables above: one each for insert, update and delete,
-- as a trigger with transition tables fires on one event only.
do $$
declare
    pair text[];
begin
    foreach pair slice 1 in array array[
        ['placements', 'overview_mark_people'], ['designations', 'overview_mark_people'],
        ['completions', 'overview_mark_people'], ['exemptions', 'overview_mark_people'],
        ['retakes', 'overview_mark_people'], ['training_plans', 'overview_plans_changed'],
        ['plan_courses', 'overview_plan_courses_changed']
    ] loop
        execute format('create trigger %I after insert on %I referencing new table as new_rows
                        for each statement execute function %I()', pair[1] || '_overview_insert', pair[1], pair[2]);
        execute format('create trigger %I after update on %I referencing new table as new_rows
                        old table as old_rows for each statement execute function %I()',
                       pair[1] || '_overview_update', pair[1], pair[2]);
        execute format('create trigger %I after delete on %I referencing old table as old_rows
                        for each statement execute function %I()', pair[1] || '_overview_delete', pair[1], pair[2]);
    end loop;
end
$$;

-- The overview's protection officers, by role or by designation: a few hundred among 100,000.
create index users_role on users (institution_id, role) where role <> 'staff';
create index designations_kind on designations (institution_id, kind);
