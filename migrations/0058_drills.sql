-- Targeted-attack mail drills (標的型攻撃メール訓練, issue 17, item 1): the chief officer (or a
-- protection officer, for their divisions) prepares a campaign, launches it, and the portal
-- sends each person their own mail at the relay's rate through the outbox.
create table drill_campaigns (
    institution_id uuid not null references institutions (id),
    id uuid not null default gen_random_uuid(),
    fiscal_year integer not null,
    title text not null check (length(title) between 1 and 200),
    -- The library's template it started from; null when written by hand.
    template_code text,
    sender_name text not null check (length(sender_name) between 1 and 100),
    subject text not null check (length(subject) between 1 and 200),
    body text not null check (length(body) between 1 and 20000 and position('{link}' in body) > 0),
    -- What gave the mail away, one per line: taught after a click.
    clues text not null default '' check (length(clues) <= 5000),
    -- 'all' or designation kinds, as a plan course's audience.
    audience text[] not null check (cardinality(audience) > 0),
    -- The divisions aimed at; empty: every division.
    division_ids uuid[] not null default '{}',
    window_start timestamptz not null,
    window_end timestamptz not null,
    per_minute integer not null check (per_minute between 1 and 10000),
    follow_up_course text references courses (code),
    follow_up_days integer not null default 14 check (follow_up_days between 1 and 180),
    status text not null default 'draft' check (status in ('draft', 'launched', 'cancelled')),
    created_by uuid not null,
    created_at timestamptz not null default now(),
    launched_by uuid,
    launched_at timestamptz,
    cancelled_at timestamptz,
    primary key (institution_id, id),
    foreign key (institution_id, created_by) references users (institution_id, id),
    check (window_end > window_start)
);
create index drill_campaigns_year on drill_campaigns (institution_id, fiscal_year, created_at desc);

-- Each person a launched campaign mails. Their link's token is stored only as its SHA-256; the
-- division and designations are those of the day it was launched, for the results.
create table drill_recipients (
    institution_id uuid not null,
    campaign_id uuid not null,
    user_id uuid not null,
    token_hash bytea not null,
    division_id uuid not null,
    designations text[] not null default '{}',
    mail_id uuid not null,
    send_at timestamptz not null,
    -- The first press of the link page's button, and how many presses.
    clicked_at timestamptz,
    clicks integer not null default 0,
    reported_at timestamptz,
    reported_via text check (reported_via in ('mail', 'portal')),
    primary key (institution_id, campaign_id, user_id),
    foreign key (institution_id, campaign_id) references drill_campaigns (institution_id, id),
    foreign key (institution_id, user_id) references users (institution_id, id),
    foreign key (institution_id, division_id) references divisions (institution_id, id),
    check ((reported_at is null) = (reported_via is null))
);
-- The link names no institution: the token is looked up alone (see docs/scaling.md).
create unique index drill_recipients_token on drill_recipients (token_hash);
create index drill_recipients_user on drill_recipients (institution_id, user_id);

-- The follow-up course a person who pressed the button must take, with its own deadline.
create table drill_follow_ups (
    institution_id uuid not null,
    campaign_id uuid not null,
    user_id uuid not null,
    course_code text not null references courses (code),
    fiscal_year integer not null,
    deadline date not null,
    assigned_at timestamptz not null default now(),
    primary key (institution_id, campaign_id, user_id),
    foreign key (institution_id, campaign_id, user_id)
        references drill_recipients (institution_id, campaign_id, user_id)
);
create index drill_follow_ups_user on drill_follow_ups (institution_id, user_id);

-- A drill mail's sender name (the address stays the portal's own) and its campaign, named in
-- an `X-Kenshu-Drill` header so that the relay's filter can let drills through.
alter table mail_outbox
    add column from_name text check (from_name is null or length(from_name) <= 100),
    add column drill_campaign_id uuid;

-- Whether the year's drills count as training in the annual report (the plan says so).
alter table training_plans add column drills_count boolean not null default false;
