//! Who acts, as the audit log names them: a signed-in person or a command. Use cases record
//! their entry through [`Actor::record`], in the transaction that makes the change.

use std::borrow::Cow;

use kenshu_core::audit::{AuditAction, AuditKey};
use kenshu_db::audit::NewEntry;
use uuid::Uuid;

/// The author of an audit entry, with the installation's key the entry is keyed with.
pub struct Actor<'a> {
    pub key: &'a AuditKey,
    pub institution_id: Uuid,
    /// None for a command.
    pub user_id: Option<Uuid>,
    /// The login ID, or `cli:` and the operating-system user.
    pub name: Cow<'a, str>,
}

impl<'a> Actor<'a> {
    /// A signed-in person.
    pub fn person(key: &'a AuditKey, institution_id: Uuid, user_id: Uuid, login: &'a str) -> Self {
        Actor {
            key,
            institution_id,
            user_id: Some(user_id),
            name: Cow::Borrowed(login),
        }
    }

    /// Someone who tried to sign in as `login` and failed (no account is named).
    pub fn attempt(key: &'a AuditKey, institution_id: Uuid, login: &'a str) -> Self {
        Actor {
            key,
            institution_id,
            user_id: None,
            name: Cow::Borrowed(login),
        }
    }

    /// A command run on the server (`cli:` and the operating-system user).
    pub fn command_line(key: &'a AuditKey, institution_id: Uuid) -> Self {
        Actor {
            key,
            institution_id,
            user_id: None,
            name: Cow::Owned(kenshu_db::audit::command_line_actor()),
        }
    }

    /// The acting person's id: what `what` names is done by a person, so a command is refused.
    pub fn person_id(&self, what: &str) -> Result<Uuid, sqlx::Error> {
        self.user_id.ok_or_else(|| {
            sqlx::Error::InvalidArgument(format!("{what} by a person, not a command"))
        })
    }

    /// Appends what the actor did to the institution's log, in the caller's transaction (a
    /// connection outside one is refused: [`kenshu_db::audit::append`]). A
    /// failed sign-in is also counted here for the metrics: every one is recorded through
    /// this call, so the count and the log agree.
    pub async fn record(
        &self,
        tx: &mut kenshu_db::PgConnection,
        action: AuditAction,
        subject: &str,
        detail: &str,
    ) -> Result<(), sqlx::Error> {
        if action == AuditAction::SignInFailed {
            crate::metrics::SIGN_IN_FAILURES.inc();
        }
        kenshu_db::audit::append(
            tx,
            self.key,
            self.institution_id,
            &NewEntry {
                actor_id: self.user_id,
                actor: &self.name,
                action,
                subject,
                detail,
            },
        )
        .await
        .map(|_| ())
    }
}
