-- A person's activity in a course within a fiscal year, one row per (person, course): the
-- first and the latest moment they read a section or started or submitted a test attempt.
-- Kept in the same statement as each write to section_reads and test_attempts
-- (kenshu_db::progress), so the dashboards read one row per course instead of scanning every
-- read and attempt. The latest activity of an attempt is its submission, else its start.
create table course_activity (
    institution_id uuid not null,
    user_id uuid not null,
    fiscal_year integer not null,
    course_code text not null references courses (code),
    first_at timestamptz not null,
    last_at timestamptz not null,
    primary key (institution_id, user_id, fiscal_year, course_code),
    foreign key (institution_id, user_id) references users (institution_id, id)
);

insert into course_activity (institution_id, user_id, fiscal_year, course_code, first_at, last_at)
select institution_id, user_id, fiscal_year, course_code, min(first_at), max(last_at) from (
    select institution_id, user_id, fiscal_year, course_code, read_at as first_at, read_at as last_at
    from section_reads
    union all
    select institution_id, user_id, fiscal_year, course_code, started_at,
           coalesce(submitted_at, started_at)
    from test_attempts
) x
group by institution_id, user_id, fiscal_year, course_code;
