-- A roster file uploaded in the browser is kept between its dry run and its application, so
-- that what is applied is exactly what was previewed.
create table roster_uploads (
    institution_id uuid not null references institutions (id),
    id uuid not null default gen_random_uuid(),
    file_name text not null,
    content bytea not null,
    complete boolean not null,
    uploaded_by uuid not null,
    created_at timestamptz not null default now(),
    applied_at timestamptz,
    primary key (institution_id, id)
);
