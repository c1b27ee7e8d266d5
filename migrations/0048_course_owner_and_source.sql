-- An institution's own course: seen, planned and taken only in that institution. Null: a
-- course shared by every institution (the shipped ones, loaded by the portal administrator).
alter table courses add column institution_id uuid references institutions (id);
create index courses_institution on courses (institution_id) where institution_id is not null;

-- A version's files as written (course.toml and each section's Markdown, by path in the course
-- folder): a course is exported in the content/ format from them. Null for a version stored
-- before this migration, until the same files are loaded again.
alter table content_versions add column source jsonb;

-- A course package uploaded and checked, not yet published: what publishing would make the
-- course's next version. One per course; a new upload replaces it.
create table course_drafts (
    code text primary key,
    institution_id uuid references institutions (id),
    source jsonb not null,
    sha256 text not null,
    uploaded_by uuid,
    uploaded_at timestamptz not null default now()
);

-- A published version never changes (completions and attempts name it): only its source may
-- be filled in once, for a version stored before sources were kept.
create function content_version_immutable() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception 'content version % of % is kept: versions are never deleted', old.version, old.course_code;
    end if;
    if new.id <> old.id or new.course_code <> old.course_code or new.version <> old.version
       or new.sha256 <> old.sha256 or new.package <> old.package or new.loaded_at <> old.loaded_at
       or (old.source is not null and new.source is distinct from old.source) then
        raise exception 'content version % of % cannot change; publish a new version', old.version, old.course_code;
    end if;
    return new;
end
$$;

create trigger content_version_immutable before update or delete on content_versions
    for each row execute function content_version_immutable();
