-- Divisions (課室) form a tree per institution: 部 → 課 → 係.
create table divisions (
    institution_id uuid not null references institutions (id),
    id uuid not null default gen_random_uuid(),
    code text not null check (length(code) between 1 and 64),
    name text not null check (length(name) between 1 and 200),
    parent_id uuid,
    created_at timestamptz not null default now(),
    primary key (institution_id, id),
    unique (institution_id, code),
    foreign key (institution_id, parent_id) references divisions (institution_id, id)
);
