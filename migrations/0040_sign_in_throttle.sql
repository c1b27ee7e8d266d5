-- Sign-in throttling (README, Security): no account is ever locked. Each key (an account, a
-- browser the person signed in with before, a client address, a login name nobody has) earns a
-- growing delay after its free failures; an attempt is counted before the password is checked,
-- atomically, so parallel guesses cannot all slip through. Failures are forgotten after a day
-- without any.
create table sign_in_throttle (
    institution_id uuid not null references institutions (id),
    key text not null check (length(key) <= 300),
    failures integer not null,
    last_at timestamptz not null,
    next_at timestamptz not null,
    primary key (institution_id, key)
);

create index sign_in_throttle_last on sign_in_throttle (last_at);

-- The wait after `failures` failures in a row when `free` attempts are free: none before the
-- free ones are used up, then 1, 2, 4 … seconds, at most `max_secs`.
create function sign_in_delay(failures integer, free integer, max_secs integer)
returns interval language sql immutable as $$
    select make_interval(secs => case when failures < free then 0
                                      else least(max_secs, power(2, least(failures - free, 30)))
                                 end)
$$;

-- Browsers a person has signed in with (device cookies, only the token's SHA-256 is kept):
-- their attempts count against that browser alone, so someone else's failures on the same
-- account never hold the person up on their own browser.
create table trusted_devices (
    institution_id uuid not null,
    user_id uuid not null,
    token_hash bytea not null,
    created_at timestamptz not null default now(),
    last_used_at timestamptz not null default now(),
    primary key (institution_id, user_id, token_hash),
    foreign key (institution_id, user_id) references users (institution_id, id) on delete cascade
);

create index trusted_devices_used on trusted_devices (last_used_at);
