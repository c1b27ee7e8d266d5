-- 集合研修: an in-person session of a course (date and time, place, capacity), for one division
-- or the whole institution (division_id null), and the people in it: nominated by an officer
-- or signed up themselves, and their attendance, recorded on the officer's checklist or by the
-- person scanning the room's QR code. Attendance completes the course (see completions.method
-- 'in_person'), after the test where the plan requires one.
create table in_person_sessions (
    institution_id uuid not null references institutions (id),
    id uuid not null default gen_random_uuid(),
    course_code text not null references courses (code),
    fiscal_year integer not null,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    place text not null check (length(place) between 1 and 200),
    capacity integer not null check (capacity between 1 and 10000),
    division_id uuid,
    created_by uuid not null,
    created_at timestamptz not null default now(),
    cancelled boolean not null default false,
    primary key (institution_id, id),
    foreign key (institution_id, division_id) references divisions (institution_id, id),
    check (ends_at > starts_at)
);

create index in_person_sessions_when on in_person_sessions (institution_id, starts_at);

create table in_person_participants (
    institution_id uuid not null,
    session_id uuid not null,
    user_id uuid not null,
    -- null: the person signed up themselves.
    nominated_by uuid,
    signed_up_at timestamptz not null default now(),
    attended_at timestamptz,
    attendance_recorded_by uuid,
    attendance_via text check (attendance_via in ('checklist', 'qr')),
    primary key (institution_id, session_id, user_id),
    foreign key (institution_id, session_id) references in_person_sessions (institution_id, id),
    foreign key (institution_id, user_id) references users (institution_id, id),
    check ((attended_at is null) = (attendance_via is null))
);

create index in_person_participants_person on in_person_participants (institution_id, user_id);

-- Whether attending an in-person session of the course is enough, or the person must also pass
-- the course's test.
alter table plan_courses add column in_person_test_required boolean not null default false;

-- Secrets of the installation, shared by every portal instance on this database (for example
-- the key that signs check-in QR codes). Created on first use.
create table installation_secrets (
    name text primary key,
    value bytea not null check (length(value) >= 32),
    created_at timestamptz not null default now()
);
