//! Wards (区): the unit a secretariat works in. Members, meetings and
//! countermeasures all belong to one ward.

pub mod api;
pub mod pages;
pub mod store;

use crate::error::{AppError, AppResult};
use poem_openapi::types::MaybeUndefined;

use crate::access::{CityOf, WardWrite};
use crate::municipalities::check_name;
use crate::text::SingleLine;

#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object, serde::Deserialize)]
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

/// A ward's settings as stored, the part a [`WardPatch`] changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WardSettings {
    pub name: String,
    pub sort_order: i64,
    pub secretariat_email: Option<String>,
}

/// The answer (422 on `municipality_id`) for a municipality a ward may not
/// be added to: another one than the city's own, or one that does not
/// exist; the two answer alike.
pub fn unknown_municipality() -> AppError {
    AppError::invalid("municipality_id", "指定された自治体は存在しません")
}

impl NewWard {
    /// Checks a ward the city `city` adds: its name ([`Self::validate`]),
    /// then that it goes into the city's own municipality. Errors: 422
    /// (a bad name; another municipality, as [`unknown_municipality`]).
    pub fn check_for(&self, city: &CityOf) -> AppResult<()> {
        self.validate()?;
        if city.municipality_id() != self.municipality_id {
            return Err(unknown_municipality());
        }
        Ok(())
    }

    /// Checks the name: not blank, at most [`crate::municipalities::NAME_MAX`]
    /// characters. Errors: 422.
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

/// Whether `renamer` (the city scope the caller holds, if any) may rename
/// the ward `ward`: only the city of the ward's own municipality; a
/// secretariat never does.
pub fn may_rename(renamer: Option<&CityOf>, ward: &WardWrite) -> bool {
    renamer.is_some_and(|c| c.municipality_id() == ward.municipality_id())
}

impl WardPatch {
    /// The settings after this patch, from those stored (`before`): an
    /// absent field keeps its value; the name is trimmed; the address is
    /// folded as the one address rule folds it, and `null` or a blank one
    /// clears it. Another name than the stored one needs the city's
    /// scope ([`may_rename`] of `renamer` for `ward`). Call after
    /// [`Self::validate`]. Errors: 403 when a name change is not the city's.
    pub fn applied(
        &self,
        before: &WardSettings,
        ward: &WardWrite,
        renamer: Option<&CityOf>,
    ) -> AppResult<WardSettings> {
        let name = self.name.as_deref().map(str::trim);
        if name.is_some_and(|n| n != before.name) && !may_rename(renamer, ward) {
            return Err(AppError::Forbidden);
        }
        let secretariat_email = match &self.secretariat_email {
            MaybeUndefined::Undefined => before.secretariat_email.clone(),
            MaybeUndefined::Null => None,
            // Folded as the one address rule folds it (validated before).
            MaybeUndefined::Value(v) => crate::email::check(v)
                .map(|c| c.address)
                .ok()
                .filter(|v| !v.is_empty()),
        };
        Ok(WardSettings {
            name: name.unwrap_or(&before.name).to_string(),
            sort_order: self.sort_order.unwrap_or(before.sort_order),
            secretariat_email,
        })
    }

    /// Checks the fields sent: a name as [`NewWard::validate`] checks it;
    /// an address, unless blank, by [`crate::email::check`]. Errors: 422.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn before() -> WardSettings {
        WardSettings {
            name: "北区".into(),
            sort_order: 3,
            secretariat_email: Some("kita@example.jp".into()),
        }
    }

    fn patch(name: Option<&str>) -> WardPatch {
        WardPatch {
            name: name.map(|n| n.parse().unwrap()),
            ..Default::default()
        }
    }

    #[test]
    fn only_the_city_of_the_wards_municipality_renames_it() {
        let op = crate::access::operator();
        let ward = op.ward_write(1, 10);
        let (own, other) = (op.city_of(10), op.city_of(20));
        assert!(may_rename(Some(&own), &ward));
        assert!(!may_rename(Some(&other), &ward) && !may_rename(None, &ward));
        let renamed = patch(Some(" 北区役所 ")).applied(&before(), &ward, Some(&own));
        assert_eq!(renamed.unwrap().name, "北区役所");
        for renamer in [None, Some(&other)] {
            let refused = patch(Some("北区役所")).applied(&before(), &ward, renamer);
            assert_eq!(refused.unwrap_err().status(), 403);
        }
        // The same name (trimmed) is no rename: a secretariat may send it.
        let same = patch(Some(" 北区 ")).applied(&before(), &ward, None);
        assert_eq!(same.unwrap(), before());
    }

    #[test]
    fn a_patch_keeps_what_it_does_not_send_and_clears_the_address_on_null_or_blank() {
        let op = crate::access::operator();
        let ward = op.ward_write(1, 10);
        assert_eq!(
            WardPatch::default()
                .applied(&before(), &ward, None)
                .unwrap(),
            before()
        );
        let p = WardPatch {
            sort_order: Some(7),
            secretariat_email: MaybeUndefined::Value("ｋｉｔａ２@example.jp".parse().unwrap()),
            ..Default::default()
        };
        let after = p.applied(&before(), &ward, None).unwrap();
        assert_eq!(after.sort_order, 7);
        assert_eq!(after.name, "北区");
        assert_eq!(after.secretariat_email.as_deref(), Some("kita2@example.jp"));
        for cleared in [
            MaybeUndefined::Null,
            MaybeUndefined::Value("  ".parse().unwrap()),
        ] {
            let p = WardPatch {
                secretariat_email: cleared,
                ..Default::default()
            };
            assert_eq!(
                p.applied(&before(), &ward, None).unwrap().secretariat_email,
                None
            );
        }
    }

    #[test]
    fn a_new_ward_goes_into_the_citys_own_municipality() {
        let op = crate::access::operator();
        let new = |municipality_id, name: &str| NewWard {
            municipality_id,
            name: name.parse().unwrap(),
        };
        assert!(new(10, "北区").check_for(&op.city_of(10)).is_ok());
        let other = new(20, "北区").check_for(&op.city_of(10)).unwrap_err();
        assert_eq!(other.field_errors()[0].field, "municipality_id");
        assert_eq!(other.field_errors(), unknown_municipality().field_errors());
        // The name is checked first.
        let blank = new(20, " ").check_for(&op.city_of(10)).unwrap_err();
        assert_eq!(blank.field_errors()[0].field, "name");
    }
}
