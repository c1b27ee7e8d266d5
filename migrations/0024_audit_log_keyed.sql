-- The audit chain is keyed: new entries carry an HMAC-SHA256 under a key that is kept outside
-- the database (scheme 2); entries written before carry the plain SHA-256 (scheme 1) and stay
-- verifiable. No default from now on: a writer that does not know about keying cannot add an
-- entry that looks like an old one.
alter table audit_log add column scheme smallint not null default 1 check (scheme in (1, 2));
alter table audit_log alter column scheme drop default;
