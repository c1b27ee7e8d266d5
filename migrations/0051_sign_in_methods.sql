-- How each institution's people may sign in (issue 16): with a portal password, against the
-- institution's directory (institution_directories), or through its OpenID Connect provider;
-- several at once. Without 'password', only portal administrators use a portal password (to
-- reach the portal while the directory is down).
alter table institutions
    add column sign_in_methods text[] not null default '{password}'
        check (sign_in_methods <@ array['password', 'directory', 'oidc']::text[]
               and cardinality(sign_in_methods) > 0);
