-- Accounts. A person who leaves is deactivated, never deleted, so that their history stays in
-- every report. No My Number is ever stored.
create table users (
    institution_id uuid not null references institutions (id),
    id uuid not null default gen_random_uuid(),
    login_id text not null check (login_id ~ '^[A-Za-z0-9._-]{1,64}$'),
    email text check (email is null or length(email) <= 254),
    name text not null check (length(name) between 1 and 200),
    division_id uuid not null,
    role text not null check (role in ('staff', 'protection_officer', 'chief_officer', 'audit_officer', 'portal_admin')),
    password_hash text not null,
    must_change_password boolean not null default true,
    active boolean not null default true,
    created_at timestamptz not null default now(),
    primary key (institution_id, id),
    unique (institution_id, login_id),
    foreign key (institution_id, division_id) references divisions (institution_id, id)
);

create unique index users_email_key on users (institution_id, lower(email)) where email is not null;
create index users_division on users (institution_id, division_id);
