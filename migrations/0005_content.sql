-- Course content is data: each load of a changed package makes a new immutable version, and
-- every completion records the version it was made against.
create table courses (
    code text primary key check (code ~ '^[a-z0-9-]{1,64}$'),
    title text not null,
    position integer not null,
    current_version_id uuid,
    created_at timestamptz not null default now()
);

create table content_versions (
    id uuid primary key default gen_random_uuid(),
    course_code text not null references courses (code),
    version integer not null check (version > 0),
    sha256 text not null,
    package jsonb not null,
    loaded_at timestamptz not null default now(),
    unique (course_code, version)
);

alter table courses
    add foreign key (current_version_id) references content_versions (id);
