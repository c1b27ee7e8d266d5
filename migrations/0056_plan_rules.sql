-- The plan requires rules to be read and acknowledged (issue 17, item 2): like a course, each by
-- its audience (designation kinds and roles, or everyone) and a deadline. What counts is an
-- acknowledgement of the rule's current version (kenshu_core::plan::rule_state says when it is
-- overdue). Changed only while the plan is a draft, copied with last year's plan.
create table plan_rules (
    institution_id uuid not null,
    plan_id uuid not null,
    rule_code text not null,
    audience text[] not null check (cardinality(audience) > 0),
    deadline date not null,
    primary key (institution_id, plan_id, rule_code),
    foreign key (institution_id, plan_id) references training_plans (institution_id, id) on delete cascade,
    foreign key (institution_id, rule_code) references rule_documents (institution_id, code)
);
