-- Designations (指定) are facts with a period: a helper is a clerk for one busy month, a
-- transfer ends one designation and may start another. Ending one sets valid_to; nothing is
-- overwritten, so "who was designated on a date" can always be answered.
create table designations (
    institution_id uuid not null,
    id uuid not null default gen_random_uuid(),
    user_id uuid not null,
    kind text not null check (kind in ('clerk', 'file_handler', 'system_admin', 'protection_officer', 'chief_officer', 'audit_officer')),
    division_id uuid,
    valid_from date not null,
    valid_to date,
    note text check (note is null or length(note) <= 500),
    created_by uuid,
    created_at timestamptz not null default now(),
    ended_by uuid,
    ended_at timestamptz,
    primary key (institution_id, id),
    foreign key (institution_id, user_id) references users (institution_id, id),
    foreign key (institution_id, division_id) references divisions (institution_id, id),
    check (valid_to is null or valid_to >= valid_from)
);

create index designations_person on designations (institution_id, user_id);
create index designations_division on designations (institution_id, division_id);
