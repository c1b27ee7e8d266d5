-- 再受講の機会: a new deadline for someone who missed the period. The original deadline stays
-- in the plan, so reports show both the miss and the later completion.
create table retakes (
    institution_id uuid not null,
    user_id uuid not null,
    course_code text not null references courses (code),
    fiscal_year integer not null,
    deadline date not null,
    granted_by uuid not null,
    granted_at timestamptz not null default now(),
    primary key (institution_id, user_id, fiscal_year, course_code),
    foreign key (institution_id, user_id) references users (institution_id, id)
);
