//! Database roles (least privilege): an owner role migrates and owns every table and
//! function; the portal serves as an application role that owns nothing (so it can neither
//! switch the audit log's triggers off nor replace their functions) and holds only the grants
//! of migration 0023, re-applied after every migration.

use sqlx::{Connection, PgConnection, PgPool};

use crate::MIGRATOR;

/// The roles the embedded default cluster is given.
pub const EMBEDDED_OWNER: &str = "kenshu_owner";
pub const EMBEDDED_APP: &str = "kenshu_app";

/// Creates a login role with no special attributes, unless it exists. Needs CREATEROLE.
pub async fn ensure_login_role(conn: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
    let mut tx = conn.begin().await?;
    sqlx::query!("select set_config('kenshu.role', $1, true)", name)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::raw_sql(
        "do $$ begin
            if not exists (select from pg_roles where rolname = current_setting('kenshu.role')) then
                execute format('create role %I login', current_setting('kenshu.role'));
            end if;
        exception when duplicate_object or unique_violation then
            null; -- made at the same moment by another process
        end $$",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Gives the database and every table, view, sequence and function in its `public` schema to
/// `owner`. Run as a superuser: it turns a database that a superuser migrated (an embedded
/// cluster from before the roles, or an external one) into one the owner role can migrate.
pub async fn hand_over(conn: &mut PgConnection, owner: &str) -> Result<(), sqlx::Error> {
    let mut tx = conn.begin().await?;
    sqlx::query!("select set_config('kenshu.owner', $1, true)", owner)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::raw_sql(
        "do $$
        declare
            o text := current_setting('kenshu.owner');
            r record;
        begin
            execute format('alter database %I owner to %I', current_database(), o);
            for r in
                select c.oid::regclass as name,
                       case c.relkind when 'v' then 'view' when 'm' then 'materialized view'
                                      when 'S' then 'sequence' else 'table' end as kind
                from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'S')
                  and c.relowner <> o::regrole
                  -- sequences of a column follow their table
                  and not exists (select from pg_depend d where d.classid = 'pg_class'::regclass
                                  and d.objid = c.oid and d.deptype in ('a', 'i'))
            loop
                execute format('alter %s %s owner to %I', r.kind, r.name, o);
            end loop;
            for r in
                select p.oid::regprocedure as name from pg_proc p
                join pg_namespace n on n.oid = p.pronamespace
                where n.nspname = 'public' and p.proowner <> o::regrole
            loop
                execute format('alter routine %s owner to %I', r.name, o);
            end loop;
        end $$",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Grants the application role what the portal needs (migration 0023's `kenshu_grant_app`).
/// Run as the owner (or a superuser) after migrating.
pub async fn grant_app(conn: &mut PgConnection, app: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("select kenshu_grant_app($1::text::regrole)", app)
        .execute(conn)
        .await?;
    Ok(())
}

/// Applies the migrations with `pool` (the owner, or a superuser), then grants `app` its
/// privileges. A superuser hands what it created to the database's owner when that is an
/// ordinary role, so the owner can run the next migration itself.
pub async fn migrate(pool: &PgPool, app: Option<&str>) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await?;
    let mut conn = pool.acquire().await?;
    let owner = sqlx::query!(
        r#"select d.datdba::regrole::text as "owner!", o.rolsuper as "owner_super!",
                  (select rolsuper from pg_roles where rolname = current_user) as "me_super!"
           from pg_database d join pg_roles o on o.oid = d.datdba
           where d.datname = current_database()"#
    )
    .fetch_one(&mut *conn)
    .await?;
    if owner.me_super && !owner.owner_super {
        hand_over(&mut conn, &owner.owner).await?;
    }
    if let Some(app) = app {
        grant_app(&mut conn, app).await?;
    }
    Ok(())
}

/// Whether the connected role may apply migrations: a superuser, the owner of the migrations'
/// table, or (on an empty database) a role that may create tables.
pub async fn may_migrate(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select r.rolsuper or coalesce(
                      pg_has_role(current_user,
                                  (select relowner from pg_class where oid = to_regclass('public._sqlx_migrations')),
                                  'USAGE'),
                      has_schema_privilege('public', 'CREATE')) as "may!"
           from pg_roles r where r.rolname = current_user"#
    )
    .fetch_one(conn)
    .await
}

/// The migrations not yet applied to the database, by version.
pub async fn pending(conn: &mut PgConnection) -> Result<Vec<i64>, sqlx::Error> {
    let exists = sqlx::query_scalar!(
        r#"select to_regclass('public._sqlx_migrations') is not null as "exists!""#
    )
    .fetch_one(&mut *conn)
    .await?;
    let applied: Vec<i64> = if exists {
        sqlx::query_scalar!("select version from _sqlx_migrations where success")
            .fetch_all(&mut *conn)
            .await?
    } else {
        Vec::new()
    };
    Ok(MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration() && !applied.contains(&m.version))
        .map(|m| m.version)
        .collect())
}

/// Why the connected role must not serve the portal, if it must not: it is a superuser, may
/// bypass row security, may create roles (and so make itself a member of the owner), or owns
/// (or is a member of the owner of) the database or any table or function.
pub async fn serving_problem(conn: &mut PgConnection) -> Result<Option<String>, sqlx::Error> {
    let r = sqlx::query!(
        r#"select current_user::text as "role!", r.rolsuper as "superuser!",
                  r.rolbypassrls as "bypassrls!", r.rolcreaterole as "createrole!",
                  pg_has_role(current_user, d.datdba, 'MEMBER') as "owns_database!",
                  (select string_agg(name, ', ' order by name) from (
                       select c.relname::text as name from pg_class c
                       join pg_namespace n on n.oid = c.relnamespace
                       where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'S')
                         and pg_has_role(current_user, c.relowner, 'MEMBER')
                       union all
                       select p.proname::text || '()' from pg_proc p
                       join pg_namespace n on n.oid = p.pronamespace
                       where n.nspname = 'public' and pg_has_role(current_user, p.proowner, 'MEMBER')
                   ) owned) as owns
           from pg_roles r, pg_database d
           where r.rolname = current_user and d.datname = current_database()"#
    )
    .fetch_one(conn)
    .await?;
    let why = if r.superuser {
        "is a superuser"
    } else if r.bypassrls {
        "has BYPASSRLS"
    } else if r.createrole {
        "has CREATEROLE (it could make itself the owner)"
    } else if r.owns_database {
        "owns the database (and so its schema and every table in it)"
    } else if let Some(owned) = &r.owns {
        return Ok(Some(format!("role '{}' owns {}", r.role, shorten(owned))));
    } else {
        return Ok(None);
    };
    Ok(Some(format!("role '{}' {why}", r.role)))
}

fn shorten(list: &str) -> String {
    let names: Vec<&str> = list.split(", ").collect();
    if names.len() <= 3 {
        list.to_string()
    } else {
        format!("{} and {} more", names[..3].join(", "), names.len() - 3)
    }
}
