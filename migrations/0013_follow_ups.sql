-- 対応記録: what a protection officer did to get a person trained (told them, phoned, mailed,
-- sent a document), when, and a note. Append-only; free text never holds a My Number.
create table follow_ups (
    institution_id uuid not null,
    id uuid not null default gen_random_uuid(),
    user_id uuid not null,
    happened_on date not null,
    method text not null check (method in ('oral', 'phone', 'email', 'document')),
    note text not null default '' check (length(note) <= 2000),
    recorded_by uuid not null,
    recorded_at timestamptz not null default now(),
    primary key (institution_id, id),
    foreign key (institution_id, user_id) references users (institution_id, id)
);

create index follow_ups_person on follow_ups (institution_id, user_id, happened_on desc);
