-- An institution's own OpenID Connect provider (issue 16), its people sign in through: the
-- provider only proves who signs in; the roster (users) decides who exists. The client secret is
-- sealed as the directory's look-up password is (kenshu_core::seal, bound to the institution):
-- a dump of the database, or the row copied to another institution, reveals and opens nothing.
create table institution_oidc_providers (
    institution_id uuid primary key references institutions (id),
    issuer text not null check (issuer ~ '^https?://'),
    client_id text not null,
    client_secret_sealed bytea not null,
    -- The ID token claim carrying the employee number (or e-mail): a JSON member name.
    claim text not null check (claim ~ '^[A-Za-z_][A-Za-z0-9_.:-]*$'),
    ca_pem text,
    timeout_secs integer not null default 5 check (timeout_secs between 1 and 60),
    updated_at timestamptz not null default now()
);

-- Sign-ins sent to the provider and not yet back: found by the hash of their `state` (the raw
-- state only travels through the browser), used once (taken with delete … returning), and
-- useless after expires_at. The PKCE verifier is sealed, bound to the state's hash.
create table oidc_sign_ins (
    state_hash bytea primary key check (length(state_hash) = 32),
    institution_id uuid not null references institutions (id),
    nonce text not null,
    pkce_verifier_sealed bytea not null,
    -- Where to go once signed in (a path inside the portal, checked by the caller).
    next text not null,
    expires_at timestamptz not null,
    created_at timestamptz not null default now()
);
create index oidc_sign_ins_expires on oidc_sign_ins (expires_at);
