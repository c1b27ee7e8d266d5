-- 督促 (reminders). The plan sets when they go out automatically: some days before each
-- deadline, then every so many days while overdue (0: not after the deadline).
alter table training_plans
    add column reminder_days_before integer[] not null default '{14,3}'
        check (cardinality(reminder_days_before) <= 5
               and 1 <= all(reminder_days_before) and 120 >= all(reminder_days_before)),
    add column reminder_overdue_every integer not null default 7
        check (reminder_overdue_every between 0 and 90);

-- Every reminder a person was sent, by an officer (sent_by) or by the schedule (sent_by null).
-- It is shown to the person at their next sign-in until they acknowledge it (seen_at).
create table reminders (
    institution_id uuid not null,
    id uuid not null default gen_random_uuid(),
    user_id uuid not null,
    fiscal_year integer not null,
    courses text[] not null check (cardinality(courses) > 0),
    message text not null default '' check (length(message) <= 1000),
    sent_by uuid,
    created_at timestamptz not null default now(),
    mail_id uuid,
    seen_at timestamptz,
    primary key (institution_id, id),
    foreign key (institution_id, user_id) references users (institution_id, id)
);

create index reminders_person on reminders (institution_id, user_id, created_at desc);
create index reminders_unseen on reminders (institution_id, user_id) where seen_at is null;

-- The schedule's steps already taken: each (person, course, deadline, step) once, whichever
-- portal instance runs the schedule.
create table reminder_steps (
    institution_id uuid not null,
    user_id uuid not null,
    fiscal_year integer not null,
    course_code text not null,
    step text not null,
    reminder_id uuid not null,
    primary key (institution_id, user_id, fiscal_year, course_code, step)
);

-- Mail waiting to be sent, and what became of it. Worked by a background task of every
-- instance; a row is locked (FOR UPDATE SKIP LOCKED) while it is being sent, so two
-- instances never send the same mail, and a failure leaves it for a later retry.
create table mail_outbox (
    institution_id uuid not null references institutions (id),
    id uuid not null default gen_random_uuid(),
    to_address text not null,
    subject text not null,
    body text not null,
    created_at timestamptz not null default now(),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_error text,
    sent_at timestamptz,
    sent_via text check (sent_via in ('smtp', 'log')),
    gave_up_at timestamptz,
    primary key (institution_id, id)
);

create index mail_outbox_due on mail_outbox (next_attempt_at) where sent_at is null and gave_up_at is null;
create index mail_outbox_recent on mail_outbox (institution_id, created_at desc);
