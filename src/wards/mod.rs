//! Wards (区): the unit a secretariat works in. Members, meetings and
//! countermeasures all belong to one ward.

pub mod api;
pub mod pages;
pub mod store;

use crate::error::{AppError, AppResult};
use poem_openapi::types::MaybeUndefined;

use crate::municipalities::check_name;
use crate::text::SingleLine;

#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object)]
pub struct Ward {
    pub id: i64,
    pub municipality_id: i64,
    pub municipality_name: String,
    pub name: String,
    pub sort_order: i64,
    /// Where escalated reminders go (the ward conference secretariat); none yet: `null`.
    pub secretariat_email: Option<String>,
}

#[derive(Debug, Clone, poem_openapi::Object)]
pub struct NewWard {
    pub municipality_id: i64,
    pub name: SingleLine,
}

#[derive(Debug, Clone, Default, poem_openapi::Object)]
pub struct WardPatch {
    pub name: Option<SingleLine>,
    pub sort_order: Option<i64>,
    /// The secretariat's address for escalated reminders; `null` or `""` clears it.
    pub secretariat_email: MaybeUndefined<SingleLine>,
}

impl NewWard {
    pub fn validate(&self) -> AppResult<()> {
        let mut errors = Vec::new();
        check_name("name", &self.name, &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(errors))
        }
    }
}

impl WardPatch {
    pub fn validate(&self) -> AppResult<()> {
        let mut errors = Vec::new();
        if let Some(name) = &self.name {
            check_name("name", name, &mut errors);
        }
        if let MaybeUndefined::Value(email) = &self.secretariat_email
            && !email.trim().is_empty()
            && let Err(why) = crate::email::check(email)
        {
            errors.push(crate::error::FieldError::new(
                "secretariat_email",
                format!("事務局のメールアドレス：{why}"),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(errors))
        }
    }
}
