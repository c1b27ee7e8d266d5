-- Each certificate (修了証) its own number (issue 14): twelve random hexadecimal digits per
-- completion, printed as `DEMO-2026-1A2B-3C4D-5E6F` with the institution's code and the fiscal
-- year, and checked on the verification page. Random rather than counted, so that nobody can
-- walk the verification page through every number to list who works where; existing
-- completions each get their own. Unique within an institution (the key holds
-- `institution_id`, as every key does for Citus: docs/scaling.md), which is where a number is
-- looked up.
alter table completions add column certificate_no text not null
    default upper(substr(md5(gen_random_uuid()::text), 1, 12))
    check (certificate_no ~ '^[0-9A-F]{12}$');
create unique index completions_certificate_no on completions (institution_id, certificate_no);
