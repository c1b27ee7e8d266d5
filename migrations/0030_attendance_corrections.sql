-- Corrections of in-person attendance (出欠の訂正): an officer withdraws a recorded attendance
-- with a reason. The participant's attendance is cleared, and the completion it made (修了
-- （集合研修）) is deleted from completions like any other row, so the overview counts follow;
-- this table keeps what was there before (when, how and by whom it was recorded, the withdrawn
-- completion), who corrected it, when and why. Rows are never rewritten: a later change is a
-- new row (an attendance recorded again, then withdrawn again).
create table in_person_corrections (
    institution_id uuid not null,
    id uuid not null default gen_random_uuid(),
    session_id uuid not null,
    user_id uuid not null,
    -- Before → after: attended → not attended.
    attended_before boolean not null,
    attended_after boolean not null,
    previous_attended_at timestamptz,
    previous_via text,
    previous_recorded_by uuid,
    -- The completion this withdrawal took away, if any.
    withdrawn_completion_method text,
    withdrawn_completed_at timestamptz,
    reason text not null check (length(reason) between 1 and 500),
    corrected_by uuid not null,
    corrected_at timestamptz not null default now(),
    primary key (institution_id, id),
    foreign key (institution_id, session_id, user_id)
        references in_person_participants (institution_id, session_id, user_id),
    foreign key (institution_id, corrected_by) references users (institution_id, id),
    check (attended_before <> attended_after)
);

create index in_person_corrections_session on in_person_corrections (institution_id, session_id, corrected_at);
create index in_person_corrections_person on in_person_corrections (institution_id, user_id);

-- History is appended to, never rewritten.
create function in_person_corrections_keep() returns trigger language plpgsql as $$
begin
    raise exception 'in_person_corrections keeps its history: % is not allowed', tg_op
        using errcode = 'insufficient_privilege';
end
$$;

create trigger in_person_corrections_no_update before update on in_person_corrections
    for each row execute function in_person_corrections_keep();
