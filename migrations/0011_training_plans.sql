-- The training plan (研修計画) of an institution for a fiscal year: drafted, then approved by
-- the chief officer, and only then in force. Each course names its audience (designation
-- kinds and roles, or everyone), its period, deadline and re-attendance window.
create table training_plans (
    institution_id uuid not null references institutions (id),
    id uuid not null default gen_random_uuid(),
    fiscal_year integer not null,
    status text not null default 'draft' check (status in ('draft', 'approved')),
    purpose text not null default '',
    method text not null default '',
    newcomer_days integer not null default 30 check (newcomer_days between 1 and 365),
    created_by uuid,
    created_at timestamptz not null default now(),
    approved_by uuid,
    approved_at timestamptz,
    primary key (institution_id, id),
    unique (institution_id, fiscal_year)
);

create table plan_courses (
    institution_id uuid not null,
    plan_id uuid not null,
    course_code text not null references courses (code),
    audience text[] not null check (cardinality(audience) > 0),
    starts_on date not null,
    deadline date not null,
    retake_until date,
    primary key (institution_id, plan_id, course_code),
    foreign key (institution_id, plan_id) references training_plans (institution_id, id) on delete cascade,
    check (deadline >= starts_on),
    check (retake_until is null or retake_until >= deadline)
);

-- 免除: a person need not take a course this year, with the reason and who decided.
create table exemptions (
    institution_id uuid not null,
    user_id uuid not null,
    course_code text not null references courses (code),
    fiscal_year integer not null,
    reason text not null check (length(reason) between 1 and 500),
    decided_by uuid not null,
    decided_at timestamptz not null default now(),
    primary key (institution_id, user_id, fiscal_year, course_code),
    foreign key (institution_id, user_id) references users (institution_id, id)
);
