-- Two facts that cannot both be true (issue 13, item 4: user errors that come from the
-- database become field errors on the form they came from):
--   * a person holds the same designation (kind, division) twice over one day;
--   * one place holds two sessions at once (cancelled sessions free their place).
-- Until now both were saved silently. Exclusion constraints keep them out whoever writes
-- (the form, the import, two officers at once); the portal turns a violation into a message
-- on the field. `btree_gist` gives the `=` of uuid and text in a GiST index; it is a trusted
-- extension, so the database owner (kenshu_owner) may create it.
create extension if not exists btree_gist;

-- An installation that already holds such rows must decide which one is right: nothing here
-- ends a designation or cancels a session on its own. The message names the rows.
do $$
declare
    found text;
begin
    select string_agg(format('designation %s and %s (person %s, %s)', a.id, b.id, a.user_id, a.kind), '; ')
    into found
    from designations a
    join designations b
      on b.institution_id = a.institution_id and b.user_id = a.user_id and b.kind = a.kind
     and b.division_id is not distinct from a.division_id and a.id < b.id
     and daterange(a.valid_from, a.valid_to, '[]') && daterange(b.valid_from, b.valid_to, '[]');
    if found is not null then
        raise exception 'overlapping designations: %', found
            using hint = 'End one of each pair the day before the other starts (update designations set valid_to = ...), then run kenshu migrate again.';
    end if;
    select string_agg(format('session %s and %s (place %s)', a.id, b.id, a.place), '; ')
    into found
    from in_person_sessions a
    join in_person_sessions b
      on b.institution_id = a.institution_id and b.place = a.place and a.id < b.id
     and not a.cancelled and not b.cancelled
     and tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at);
    if found is not null then
        raise exception 'sessions at one place at the same time: %', found
            using hint = 'Cancel or move one of each pair, then run kenshu migrate again.';
    end if;
end $$;

alter table designations add constraint designations_no_overlap
    exclude using gist (
        institution_id with =,
        user_id with =,
        kind with =,
        coalesce(division_id, '00000000-0000-0000-0000-000000000000'::uuid) with =,
        daterange(valid_from, valid_to, '[]') with &&
    );

alter table in_person_sessions add constraint in_person_sessions_no_double_booking
    exclude using gist (
        institution_id with =,
        place with =,
        tstzrange(starts_at, ends_at) with &&
    ) where (not cancelled);
