//! Wards (区): the unit a secretariat works in. Members, meetings and
//! countermeasures all belong to one ward.

pub mod api;
pub mod pages;
pub mod store;

use crate::error::{AppError, AppResult};
use crate::municipalities::check_name;

#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object)]
pub struct Ward {
    pub id: i64,
    pub municipality_id: i64,
    pub municipality_name: String,
    pub name: String,
    pub sort_order: i64,
}

#[derive(Debug, Clone, poem_openapi::Object)]
pub struct NewWard {
    pub municipality_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Default, poem_openapi::Object)]
pub struct WardPatch {
    pub name: Option<String>,
    pub sort_order: Option<i64>,
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
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(errors))
        }
    }
}
