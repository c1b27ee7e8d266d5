//! Institutions (機関) and their divisions (課室).

use kenshu_core::sign_in::SignInMethods;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Institution {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

#[tracing::instrument(level = "debug", skip_all, fields(code))]
pub async fn create(conn: &mut PgConnection, code: &str, name: &str) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        "insert into institutions (code, name) values ($1, $2) returning id",
        code,
        name
    )
    .fetch_one(conn)
    .await
}

pub async fn find_by_code(
    conn: &mut PgConnection,
    code: &str,
) -> Result<Option<Institution>, sqlx::Error> {
    sqlx::query_as!(
        Institution,
        "select id, code, name from institutions where code = $1",
        code
    )
    .fetch_optional(conn)
    .await
}

pub async fn list(conn: &mut PgConnection) -> Result<Vec<Institution>, sqlx::Error> {
    sqlx::query_as!(
        Institution,
        "select id, code, name from institutions order by code"
    )
    .fetch_all(conn)
    .await
}

/// Each institution's sign-in: its methods, and its directory's address when it has one.
#[derive(Debug, Clone)]
pub struct SignInRow {
    pub code: String,
    pub name: String,
    pub methods: Vec<String>,
    pub directory_url: Option<String>,
    /// The OpenID Connect provider's issuer, when one is set.
    pub oidc_issuer: Option<String>,
    /// A second factor is required of those who see others' records.
    pub second_factor_required: bool,
    /// The OpenID Connect provider's `amr` counts as the second factor.
    pub second_factor_trust_amr: bool,
}

/// Every institution's sign-in, by code, for the portal administrator.
pub async fn sign_in_rows(conn: &mut PgConnection) -> Result<Vec<SignInRow>, sqlx::Error> {
    sqlx::query_as!(
        SignInRow,
        r#"select i.code, i.name, i.sign_in_methods as methods, d.url as "directory_url?",
                  o.issuer as "oidc_issuer?", i.second_factor_required, i.second_factor_trust_amr
           from institutions i left join institution_directories d on d.institution_id = i.id
           left join institution_oidc_providers o on o.institution_id = i.id
           order by i.code"#
    )
    .fetch_all(conn)
    .await
}

/// What a sign-in needs in one statement: whether the portal holds more than one institution
/// (then the form asks for its code), and the institution signed in to — the one named by
/// `code`, or with `code` empty the only one there is.
pub async fn for_sign_in(
    conn: &mut PgConnection,
    code: &str,
) -> Result<(bool, Option<(Institution, SignInMethods)>), sqlx::Error> {
    let r = sqlx::query!(
        r#"with n as (select count(*) as n from institutions)
           select n.n <> 1 as "many!", i.id as "id?", i.code as "code?", i.name as "name?",
                  i.sign_in_methods as "methods?"
           from n left join institutions i
             on case when $1 = '' then n.n = 1 else i.code = $1 end"#,
        code
    )
    .fetch_one(conn)
    .await?;
    let institution = match (r.id, r.code, r.name) {
        (Some(id), Some(code), Some(name)) => Some((
            Institution { id, code, name },
            SignInMethods::from_names(&r.methods.unwrap_or_default()),
        )),
        _ => None,
    };
    Ok((r.many, institution))
}

/// What the sign-in page says before anyone types: whether it must ask for the institution, and
/// when there is only one, how its people sign in.
pub async fn sign_in_page(
    conn: &mut PgConnection,
) -> Result<(bool, Option<SignInMethods>), sqlx::Error> {
    let (many, one) = for_sign_in(conn, "").await?;
    Ok((many, one.map(|(_, m)| m)))
}

/// Whether any institution signs in through an OpenID Connect provider (the sign-in page of a
/// portal with several offers it, asking which institution).
pub async fn oidc_anywhere(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select exists (select from institutions where 'oidc' = any (sign_in_methods)) as "any!""#
    )
    .fetch_one(conn)
    .await
}

/// The institution's code.
pub async fn code_of(conn: &mut PgConnection, institution: Uuid) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!("select code from institutions where id = $1", institution)
        .fetch_one(conn)
        .await
}

/// Sets how the institution's people may sign in.
pub async fn set_sign_in_methods(
    conn: &mut PgConnection,
    institution: Uuid,
    methods: &SignInMethods,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update institutions set sign_in_methods = $2 where id = $1",
        institution,
        &methods.names()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// How the institution's people may sign in.
pub async fn sign_in_methods(
    conn: &mut PgConnection,
    institution: Uuid,
) -> Result<SignInMethods, sqlx::Error> {
    let names: Vec<String> = sqlx::query_scalar!(
        "select sign_in_methods from institutions where id = $1",
        institution
    )
    .fetch_one(conn)
    .await?;
    Ok(SignInMethods::from_names(&names))
}

/// Whether the sign-in form must ask for the institution: more (or fewer) than one exists.
pub async fn ask_on_sign_in(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("select count(*) from institutions")
        .fetch_one(conn)
        .await?;
    Ok(n != 1)
}

#[derive(Debug, Clone)]
pub struct Division {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
}

#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, code))]
pub async fn create_division(
    conn: &mut PgConnection,
    institution_id: Uuid,
    code: &str,
    name: &str,
    parent_id: Option<Uuid>,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        "insert into divisions (institution_id, code, name, parent_id) values ($1, $2, $3, $4) returning id",
        institution_id,
        code,
        name,
        parent_id
    )
    .fetch_one(conn)
    .await
}

pub async fn find_division(
    conn: &mut PgConnection,
    institution_id: Uuid,
    code: &str,
) -> Result<Option<Division>, sqlx::Error> {
    sqlx::query_as!(
        Division,
        "select id, code, name, parent_id from divisions where institution_id = $1 and code = $2",
        institution_id,
        code
    )
    .fetch_optional(conn)
    .await
}

pub async fn divisions(
    conn: &mut PgConnection,
    institution_id: Uuid,
) -> Result<Vec<Division>, sqlx::Error> {
    sqlx::query_as!(
        Division,
        "select id, code, name, parent_id from divisions where institution_id = $1 order by code",
        institution_id
    )
    .fetch_all(conn)
    .await
}

/// Divisions with how many active people each has, parents before children, for the tree.
pub async fn tree(
    conn: &mut PgConnection,
    institution_id: Uuid,
) -> Result<Vec<(Division, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"select d.id, d.code, d.name, d.parent_id,
                  (select count(*) from users u where u.institution_id = d.institution_id and u.division_id = d.id and u.status <> 'left') as "people!"
           from divisions d where d.institution_id = $1 order by d.code"#,
        institution_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                Division {
                    id: r.id,
                    code: r.code,
                    name: r.name,
                    parent_id: r.parent_id,
                },
                r.people,
            )
        })
        .collect())
}
