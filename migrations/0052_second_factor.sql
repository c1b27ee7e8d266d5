-- A second factor for the people who see others' records (issue 16, item 4): a TOTP secret
-- (RFC 6238) per person, sealed like the directory's password (kenshu_core::seal, bound to the
-- person), enrolled when a code from it is confirmed; recovery codes kept as hashes; and the
-- sign-ins half done, waiting for the code (a session begins only after it).
create table user_totp (
    institution_id uuid not null,
    user_id uuid not null,
    secret_sealed bytea not null,
    -- Null until a code from the secret has been typed back: only then does it guard sign-in.
    confirmed_at timestamptz,
    -- The last time step accepted: a code is never accepted twice (compare-and-set).
    last_step bigint not null default -1,
    created_at timestamptz not null default now(),
    primary key (institution_id, user_id),
    foreign key (institution_id, user_id) references users (institution_id, id) on delete cascade
);

create table user_recovery_codes (
    institution_id uuid not null,
    user_id uuid not null,
    code_hash bytea not null check (length(code_hash) = 32),
    used_at timestamptz,
    primary key (institution_id, user_id, code_hash),
    foreign key (institution_id, user_id) references users (institution_id, id) on delete cascade
);

-- A sign-in whose first step (password, directory) succeeded, waiting for the second: found by
-- the SHA-256 of a token in a short-lived cookie. 'verify' asks for a code; 'enrol' first sets
-- the factor up (the institution requires it and the person has none yet).
create table second_factor_challenges (
    token_hash bytea primary key check (length(token_hash) = 32),
    institution_id uuid not null,
    user_id uuid not null,
    kind text not null check (kind in ('verify', 'enrol')),
    -- How the first step proved who this is, for the audit log: password, directory, oidc.
    method text not null check (method in ('password', 'directory', 'oidc')),
    next text not null,
    expires_at timestamptz not null,
    created_at timestamptz not null default now(),
    foreign key (institution_id, user_id) references users (institution_id, id) on delete cascade
);
create index second_factor_challenges_expiry on second_factor_challenges (expires_at);

-- Whether the institution requires the second factor of everyone who sees others' records
-- (protection, chief and audit officers, portal administrators), and whether a second factor
-- its OpenID Connect provider already asked for (the ID token's amr claim) counts.
alter table institutions
    add column second_factor_required boolean not null default false,
    add column second_factor_trust_amr boolean not null default false;
