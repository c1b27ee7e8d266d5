-- An institution's own directory (Active Directory, OpenLDAP) its staff sign in against
-- (issue 16). The directory only proves who signs in; the roster (users) decides who exists.
-- The look-up account's password is sealed (kenshu_core::seal: XChaCha20-Poly1305 under a key
-- derived from the portal's key, bound to the institution): a dump of the database, or the row
-- copied to another institution, reveals and opens nothing.
create table institution_directories (
    institution_id uuid primary key references institutions (id),
    url text not null check (url ~ '^ldaps?://[^/]+/?$'),
    ca_pem text,
    bind_dn text not null,
    bind_password_sealed bytea not null,
    base_dn text not null,
    login_attribute text not null check (login_attribute ~ '^[A-Za-z][A-Za-z0-9-]*$'),
    employee_attribute text not null check (employee_attribute ~ '^[A-Za-z][A-Za-z0-9-]*$'),
    filter text,
    group_dn text,
    timeout_secs integer not null default 5 check (timeout_secs between 1 and 60),
    updated_at timestamptz not null default now()
);
