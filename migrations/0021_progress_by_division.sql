-- The dashboard reads a division's activity and completions by one index range instead of one
-- probe per person: both tables carry the person's current division, filled on insert and
-- moved with the person when they transfer (triggers, so every writer is covered).
alter table course_activity add column division_id uuid;
alter table completions add column division_id uuid;

update course_activity a set division_id = u.division_id
from users u where u.institution_id = a.institution_id and u.id = a.user_id;
update completions c set division_id = u.division_id
from users u where u.institution_id = c.institution_id and u.id = c.user_id;

create index course_activity_division on course_activity (institution_id, division_id, fiscal_year);
create index completions_division on completions (institution_id, division_id, fiscal_year);

create function progress_division_of_person() returns trigger language plpgsql as $$
begin
    select u.division_id into new.division_id from users u
    where u.institution_id = new.institution_id and u.id = new.user_id;
    return new;
end
$$;

create trigger course_activity_division before insert on course_activity
    for each row execute function progress_division_of_person();
create trigger completions_division before insert on completions
    for each row execute function progress_division_of_person();

create function progress_follows_transfer() returns trigger language plpgsql as $$
begin
    update course_activity set division_id = new.division_id
    where institution_id = new.institution_id and user_id = new.id;
    update completions set division_id = new.division_id
    where institution_id = new.institution_id and user_id = new.id;
    return null;
end
$$;

create trigger users_progress_follows_transfer after update of division_id on users
    for each row when (old.division_id is distinct from new.division_id)
    execute function progress_follows_transfer();
