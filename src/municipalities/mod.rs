//! Municipalities (自治体): the top of the model; each contains wards, or a
//! single area standing for the whole municipality when it has none.

pub mod api;
pub mod pages;
pub mod store;

use crate::error::{AppResult, FieldError};
use crate::text::SingleLine;

#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object)]
pub struct Municipality {
    pub id: i64,
    pub name: String,
    /// True when the municipality is one area without wards.
    pub single_area: bool,
    pub ward_count: i64,
}

/// What it takes to create a municipality.
#[derive(Debug, Clone, poem_openapi::Object)]
pub struct NewMunicipality {
    pub name: SingleLine,
    /// The wards to create with it; none makes one area named like the municipality.
    #[oai(default)]
    pub wards: Vec<SingleLine>,
}

/// The longest name of a municipality or ward, in characters (trimmed).
pub const NAME_MAX: usize = 100;

pub(crate) fn check_name(field: &str, name: &str, errors: &mut Vec<FieldError>) {
    let n = name.trim();
    if n.is_empty() {
        errors.push(FieldError::new(field, "名称を入力してください"));
    } else if n.chars().count() > NAME_MAX {
        errors.push(FieldError::new(
            field,
            format!("名称は{NAME_MAX}文字以内で入力してください"),
        ));
    }
}

impl NewMunicipality {
    pub fn validate(&self) -> AppResult<()> {
        let mut errors = Vec::new();
        check_name("name", &self.name, &mut errors);
        for (i, w) in self.wards.iter().enumerate() {
            check_name(&format!("wards[{i}]"), w, &mut errors);
        }
        let mut seen = std::collections::HashSet::new();
        for (i, w) in self.wards.iter().enumerate() {
            if !seen.insert(w.trim()) {
                errors.push(FieldError::new(
                    &format!("wards[{i}]"),
                    "区の名称が重複しています",
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(crate::error::AppError::Invalid(errors))
        }
    }
}
