-- What HR knows of a person (roster import), and accounts that have no password yet: people
-- imported from the roster set theirs through a one-time link.
alter table users
    add column kana text check (kana is null or length(kana) <= 200),
    add column employment_type text not null default '常勤' check (length(employment_type) between 1 and 50),
    add column hired_on date,
    add column status text not null default 'active' check (status in ('active', 'on_leave', 'left')),
    add column left_on date,
    alter column password_hash drop not null;
