-- Rules read and acknowledged (誓約書・規程の確認, issue 17, item 2): the chief officer publishes
-- the institution's documents (its 特定個人情報取扱規程, its security policy) as versioned text
-- with a minimum reading time; staff acknowledge each version. A new version asks again.
create table rule_documents (
    institution_id uuid not null references institutions (id),
    code text not null check (code ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
    created_at timestamptz not null default now(),
    primary key (institution_id, code)
);

-- Each published version, never changed once published.
create table rule_versions (
    institution_id uuid not null,
    code text not null,
    version integer not null check (version >= 1),
    title text not null check (length(title) between 1 and 200),
    body text not null check (length(body) between 1 and 200000),
    min_read_secs integer not null check (min_read_secs between 0 and 3600),
    published_at timestamptz not null default now(),
    published_by uuid not null,
    primary key (institution_id, code, version),
    foreign key (institution_id, code) references rule_documents (institution_id, code),
    foreign key (institution_id, published_by) references users (institution_id, id)
);

-- When a person first opened a version: the minimum reading time counts from here (kept by the
-- server, so a form posted early is refused whatever the page's script says).
create table rule_readings (
    institution_id uuid not null,
    user_id uuid not null,
    code text not null,
    version integer not null,
    opened_at timestamptz not null default now(),
    primary key (institution_id, user_id, code, version),
    foreign key (institution_id, code, version) references rule_versions (institution_id, code, version),
    foreign key (institution_id, user_id) references users (institution_id, id)
);

-- The record the guideline's education asks for: who acknowledged which version, when.
create table rule_acknowledgements (
    institution_id uuid not null,
    user_id uuid not null,
    code text not null,
    version integer not null,
    acknowledged_at timestamptz not null default now(),
    read_secs integer not null check (read_secs >= 0),
    primary key (institution_id, user_id, code, version),
    foreign key (institution_id, code, version) references rule_versions (institution_id, code, version),
    foreign key (institution_id, user_id) references users (institution_id, id)
);
create index rule_acknowledgements_version on rule_acknowledgements (institution_id, code, version);
