-- Digests (督促の取りまとめ): a weekly mail to each protection officer listing their overdue
-- people, and one to each chief officer listing, by division, those overdue longer than the
-- plan's threshold. The rules are part of the plan, like the reminder schedule.
alter table training_plans
    add column digest_enabled boolean not null default true,
    add column digest_weekday integer not null default 1 check (digest_weekday between 1 and 5),
    add column digest_chief_after_days integer not null default 30
        check (digest_chief_after_days between 1 and 365);

-- Deputies (代理): while an officer is absent, the person named here receives their digest.
-- A period, like a designation (ended by setting valid_to, never overwritten), but kept apart
-- from `designations` because it names two people and makes nobody a target of a course:
-- the assignment rule and the overview's counts read designations and must not see it.
create table officer_deputies (
    institution_id uuid not null,
    id uuid not null default gen_random_uuid(),
    officer_id uuid not null,
    deputy_id uuid not null,
    valid_from date not null,
    valid_to date,
    note text check (note is null or length(note) <= 500),
    created_by uuid,
    created_at timestamptz not null default now(),
    primary key (institution_id, id),
    foreign key (institution_id, officer_id) references users (institution_id, id),
    foreign key (institution_id, deputy_id) references users (institution_id, id),
    check (officer_id <> deputy_id),
    check (valid_to is null or valid_to >= valid_from),
    -- One deputy at a time per officer, so whom a digest goes to is never a choice.
    constraint officer_deputies_no_overlap exclude using gist (
        institution_id with =,
        officer_id with =,
        daterange(valid_from, valid_to, '[]') with &&
    )
);

-- Each digest sent: one per officer (or chief officer), kind and week, whichever portal
-- instance runs the schedule; the week is named by its nominal digest day, so a digest moved
-- by a holiday is still sent once. recipient_id is who got it (the deputy, when one stood
-- in); mail_id is null when they have no mail address.
create table digest_sends (
    institution_id uuid not null,
    kind text not null check (kind in ('officer', 'chief')),
    officer_id uuid not null,
    week date not null,
    recipient_id uuid not null,
    people uuid[] not null,
    mail_id uuid,
    created_at timestamptz not null default now(),
    primary key (institution_id, kind, officer_id, week),
    foreign key (institution_id, officer_id) references users (institution_id, id),
    foreign key (institution_id, recipient_id) references users (institution_id, id)
);

create index digest_sends_week on digest_sends (institution_id, week);

-- The weeks whose digests an institution has worked through: later runs of the schedule in
-- the same week skip it instead of reading every division's standing again.
create table digest_runs (
    institution_id uuid not null references institutions (id),
    week date not null,
    finished_at timestamptz not null default now(),
    primary key (institution_id, week)
);
