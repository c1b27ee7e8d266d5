-- Roster changes dated after the day they were imported (a transfer announced in March for
-- 1 April, 退職 on 31 March): placements already hold the dated history, and this is the list
-- of what must still happen to users.division_id / users.status, the "as of today" values
-- that sessions, officers' pages, designations, reminders and follow-ups read. On its day a
-- change is taken by kenshu_db::roster::take_effect, which every instance's housekeeping runs
-- at midnight (JST) and every few minutes, and which the command line runs before it reads or
-- changes the roster: nobody has to run anything.
create table roster_schedule (
    institution_id uuid not null,
    user_id uuid not null,
    -- A person has at most one pending transfer and one pending leaving; a later import replaces it.
    kind text not null check (kind in ('transfer', 'leave')),
    -- The first day the change holds: the transfer's 異動日, or the day after the last day.
    due date not null,
    division_id uuid,
    primary key (institution_id, user_id, kind),
    foreign key (institution_id, user_id) references users (institution_id, id),
    foreign key (institution_id, division_id) references divisions (institution_id, id),
    check ((kind = 'transfer') = (division_id is not null))
);

create index roster_schedule_due on roster_schedule (due);
