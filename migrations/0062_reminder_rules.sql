-- A reminder names the required rules (規程) still to acknowledge as well as the courses, and
-- the plan's schedule reminds a person whose only pending item is a rule (issue 17). The
-- rules' codes are kept apart from the courses' so that each list is read back as what it is;
-- a reminder names at least one of either.
alter table reminders
    add column rules text[] not null default '{}',
    drop constraint reminders_courses_check,
    add constraint reminders_names_something
        check (cardinality(courses) + cardinality(rules) > 0);

-- The schedule's steps for a rule are kept beside the courses' in reminder_steps, under
-- course_code 'rule:<code>:<version>' (a new version asks again); no course code holds a ':'.
comment on column reminder_steps.course_code is
    'a course code, or rule:<code>:<version> for a required rule''s step';
