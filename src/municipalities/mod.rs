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

/// Whether a municipality is one area without wards: its only ward bears
/// its name (as [`NewMunicipality::ward_names`] makes it). `ward_count`:
/// its wards; `named_like_it`: those of them named like the municipality.
pub fn single_area(ward_count: i64, named_like_it: i64) -> bool {
    ward_count == 1 && named_like_it == 1
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
    /// The wards to create with it, in display order: those given,
    /// trimmed; none given makes one area named like the municipality.
    pub fn ward_names(&self) -> Vec<&str> {
        if self.wards.is_empty() {
            vec![self.name.trim()]
        } else {
            self.wards.iter().map(|w| w.trim()).collect()
        }
    }

    /// Checks the names: each not blank and at most [`NAME_MAX`]
    /// characters, no ward named twice. Errors: 422 per field.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: &str, wards: &[&str]) -> NewMunicipality {
        NewMunicipality {
            name: name.parse().unwrap(),
            wards: wards.iter().map(|w| w.parse().unwrap()).collect(),
        }
    }

    #[test]
    fn without_wards_a_municipality_is_one_area_named_like_it() {
        assert_eq!(new(" 堺市 ", &[]).ward_names(), vec!["堺市"]);
        assert_eq!(
            new("大阪市", &[" 北区", "都島区 "]).ward_names(),
            vec!["北区", "都島区"]
        );
        assert!(single_area(1, 1));
        assert!(!single_area(1, 0) && !single_area(2, 1) && !single_area(0, 0));
    }

    #[test]
    fn a_ward_named_twice_is_refused() {
        assert!(new("大阪市", &["北区", "都島区"]).validate().is_ok());
        let err = new("大阪市", &["北区", " 北区 "]).validate().unwrap_err();
        assert_eq!(err.field_errors()[0].field, "wards[1]");
    }
}
