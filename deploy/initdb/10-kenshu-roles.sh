#!/bin/sh
# Run once by the postgres image when the database volume is first made
# (/docker-entrypoint-initdb.d): the roles of README "Database roles and the audit log".
#   kenshu_owner  migrates and owns the database and every table and function in it
#   kenshu_app    the portal: owns nothing, gets its grants from `kenshu migrate`
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v db="$POSTGRES_DB" \
    -v owner_password="$KENSHU_OWNER_PASSWORD" \
    -v app_password="$KENSHU_APP_PASSWORD" <<'SQL'
create role kenshu_owner login password :'owner_password';
create role kenshu_app login password :'app_password';
alter database :"db" owner to kenshu_owner;
revoke all on database :"db" from public;
grant connect on database :"db" to kenshu_app;
SQL
