-- A person's designations, read from the index alone. The officer dashboard reads the
-- designations of each of a division's people (one probe per person): through the plain
-- (institution, person) index the planner preferred the overlap exclusion's GiST index and
-- fetched every row from the table, 13 µs a person, 6.5 ms of a 500-staff dashboard; the
-- covering index answers the same probe in about 5 µs with no table access.
drop index designations_person;
create index designations_person on designations (institution_id, user_id)
    include (kind, valid_from, valid_to);
