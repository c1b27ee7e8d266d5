-- One-time links with which a person sets their own password: accounts from the roster have
-- none, and a password never travels in a CSV. Only the token's SHA-256 is stored.
create table sign_in_links (
    token_hash bytea primary key,
    institution_id uuid not null,
    user_id uuid not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at timestamptz,
    foreign key (institution_id, user_id) references users (institution_id, id)
);

create index sign_in_links_user on sign_in_links (institution_id, user_id);
