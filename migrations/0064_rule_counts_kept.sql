-- The required rules' (規程) counts per division, kept for the overview, and the stamp of what
-- they were counted from; and the stamp under which the reminder schedule last judged
-- everyone's rules. Judging 100,000 people's rules reads all their facts and acknowledgements
-- (about 0.3 s): done again only when the stamp changes — the day, the overview's refresh of
-- people's facts (a roster change, a designation, a transfer, a completion), an
-- acknowledgement, a new version (the stamp of kenshu_db::rules::kept_counts).
create table rule_counts_kept (
    institution_id uuid not null references institutions (id),
    fiscal_year integer not null,
    stamp text not null,
    -- [[division id, required, acknowledged, overdue], …]
    counts jsonb not null,
    primary key (institution_id, fiscal_year)
);

create table rule_schedule_judged (
    institution_id uuid not null references institutions (id),
    fiscal_year integer not null,
    stamp text not null,
    primary key (institution_id, fiscal_year)
);
