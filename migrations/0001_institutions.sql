-- One institution (機関) is one tenant. Every tenant-owned table carries institution_id in its
-- primary key and foreign keys, so that the tables can be distributed by it (design.md).
create table institutions (
    id uuid primary key default gen_random_uuid(),
    code text not null unique check (code ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    name text not null check (length(name) between 1 and 200),
    created_at timestamptz not null default now()
);
