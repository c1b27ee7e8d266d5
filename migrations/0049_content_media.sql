-- The images that courses' sections and explanations show, by the SHA-256 of their bytes (the
-- address a version's rendered text names, so a stored image never changes): served from
-- /media/<sha256> to people signed in. Checked by their bytes before they get here.
create table content_media (
    sha256 text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
    media_type text not null
        check (media_type in ('image/png', 'image/jpeg', 'image/gif', 'image/webp')),
    bytes bytea not null check (octet_length(bytes) <= 1048576),
    created_at timestamptz not null default now()
);
