-- A person's progress through a course within a fiscal year.
create table section_reads (
    institution_id uuid not null,
    user_id uuid not null,
    fiscal_year integer not null,
    course_code text not null references courses (code),
    section_slug text not null,
    content_version_id uuid not null references content_versions (id),
    read_at timestamptz not null default now(),
    primary key (institution_id, user_id, fiscal_year, course_code, section_slug),
    foreign key (institution_id, user_id) references users (institution_id, id)
);

-- Every attempt is kept. The id is chosen when the test form is shown, so that submitting the
-- same form twice (double click, retry) records one attempt.
create table test_attempts (
    institution_id uuid not null,
    id uuid not null,
    user_id uuid not null,
    course_code text not null references courses (code),
    content_version_id uuid not null references content_versions (id),
    fiscal_year integer not null,
    started_at timestamptz not null default now(),
    submitted_at timestamptz,
    score integer,
    total integer not null,
    pass_mark integer not null,
    passed boolean,
    primary key (institution_id, id),
    foreign key (institution_id, user_id) references users (institution_id, id)
);

create index test_attempts_person on test_attempts (institution_id, user_id, fiscal_year, course_code);

create table test_answers (
    institution_id uuid not null,
    attempt_id uuid not null,
    question_number integer not null,
    answer boolean not null,
    correct boolean not null,
    answered_at timestamptz not null default now(),
    primary key (institution_id, attempt_id, question_number),
    foreign key (institution_id, attempt_id) references test_attempts (institution_id, id)
);

-- The first passing attempt (or recorded in-person attendance) completes a course for the
-- fiscal year; later passes do not overwrite it.
create table completions (
    institution_id uuid not null,
    user_id uuid not null,
    course_code text not null references courses (code),
    fiscal_year integer not null,
    completed_at timestamptz not null default now(),
    content_version_id uuid not null references content_versions (id),
    method text not null check (method in ('e_learning', 'in_person')),
    score integer,
    total integer,
    attempt_id uuid,
    primary key (institution_id, user_id, fiscal_year, course_code),
    foreign key (institution_id, user_id) references users (institution_id, id)
);
