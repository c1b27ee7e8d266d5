-- Idle timeout: a session also ends after a while without requests. `seen_at` is moved on at
-- most once a minute per session, so reading pages writes almost nothing.
alter table sessions add column seen_at timestamptz not null default now();
