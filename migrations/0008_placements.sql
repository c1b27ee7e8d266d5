-- Where a person worked when: one row per period in a division. users.division_id is the
-- current one; reports "as of" a date read this history, so transfers never overwrite it.
create table placements (
    institution_id uuid not null,
    user_id uuid not null,
    valid_from date not null,
    valid_to date,
    division_id uuid not null,
    primary key (institution_id, user_id, valid_from),
    foreign key (institution_id, user_id) references users (institution_id, id),
    foreign key (institution_id, division_id) references divisions (institution_id, id),
    check (valid_to is null or valid_to >= valid_from)
);

create index placements_division on placements (institution_id, division_id);

insert into placements (institution_id, user_id, valid_from, division_id)
select institution_id, id, (created_at at time zone 'Asia/Tokyo')::date, division_id from users;
