-- Sessions live in PostgreSQL so that any number of portal instances serve the same users.
-- Only the SHA-256 of the session token is stored: a copy of this table signs nobody in.
create table sessions (
    token_hash bytea primary key,
    institution_id uuid not null,
    user_id uuid not null,
    csrf_token text not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    foreign key (institution_id, user_id) references users (institution_id, id) on delete cascade
);

create index sessions_expiry on sessions (expires_at);
create index sessions_user on sessions (institution_id, user_id);

-- Failed sign-ins, counted for the lock-out (10 failures in 15 minutes). Keyed by the login
-- as typed, so that unknown logins are throttled like known ones.
create table sign_in_failures (
    institution_id uuid not null references institutions (id),
    login_key text not null,
    failed_at timestamptz not null default now()
);

create index sign_in_failures_recent on sign_in_failures (institution_id, login_key, failed_at);
