-- Signing out of a session begun through the institution's OpenID Connect provider (issue 16,
-- item 2) also ends the person's session at the provider: the provider's end-session address
-- (with the ID token as its hint) is kept with the session, and with a sign-in waiting for its
-- second factor until the session begins.
alter table sessions add column sign_out_url text;
alter table second_factor_challenges add column sign_out_url text;
