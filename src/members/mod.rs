//! Committee members (委員) of a ward's conference. Names and e-mail
//! addresses are personal data: they go to the database and the pages that
//! show them, never to the logs.

pub mod api;
pub mod pages;
pub mod store;

use poem_openapi::types::MaybeUndefined;

use crate::error::{AppError, AppResult, FieldError};
use crate::labels::label_enum;
use crate::text::SingleLine;

label_enum! {
    /// The kind of organisation a member represents.
    OrganizationKind {
        MedicalAssociation => "医師会",
        DentalAssociation => "歯科医師会",
        PharmaceuticalAssociation => "薬剤師会",
        Hospital => "病院",
        VisitingNursing => "訪問看護",
        CareManager => "介護支援専門員",
        CommunityCareCenter => "地域包括支援センター",
        ConsultationOffice => "相談支援室",
        WardOffice => "区役所",
        Other => "その他",
    }
}

/// The longest name, in characters (trimmed).
pub const NAME_MAX: usize = 100;
/// The longest organisation (所属), in characters (trimmed).
pub const ORGANIZATION_MAX: usize = 200;

#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object)]
pub struct Member {
    pub id: i64,
    pub ward_id: i64,
    pub name: String,
    pub organization: String,
    pub organization_kind: OrganizationKind,
    pub email: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, poem_openapi::Object)]
pub struct NewMember {
    pub name: SingleLine,
    #[oai(default)]
    pub organization: SingleLine,
    pub organization_kind: OrganizationKind,
    pub email: Option<SingleLine>,
    #[oai(default = "default_true")]
    pub active: bool,
}

fn default_true() -> bool {
    true
}

/// A partial update: absent fields stay; `email: null` clears the address.
#[derive(Debug, Clone, Default, poem_openapi::Object)]
pub struct MemberPatch {
    pub name: Option<SingleLine>,
    pub organization: Option<SingleLine>,
    pub organization_kind: Option<OrganizationKind>,
    pub email: MaybeUndefined<SingleLine>,
    pub active: Option<bool>,
}

/// Member names by id, for showing owners and attendees.
pub fn names(list: &[Member]) -> std::collections::BTreeMap<i64, String> {
    list.iter().map(|m| (m.id, m.name.clone())).collect()
}

/// Checks that every id of `ids` is a member of the ward `ward_id`, given
/// the ward of each member found (`wards_of`: member id → ward id; an id
/// not in it does not exist). A member of another ward answers like one
/// that does not exist: existence does not leak. `field` names the input.
/// Errors: 422 naming the first id that is not the ward's.
pub fn check_in_ward(
    ward_id: i64,
    ids: &[i64],
    wards_of: &std::collections::HashMap<i64, i64>,
    field: &str,
) -> AppResult<()> {
    match ids.iter().find(|id| wards_of.get(id) != Some(&ward_id)) {
        None => Ok(()),
        Some(id) => Err(AppError::invalid(
            field,
            format!("委員(ID {id})はこの区の委員ではありません"),
        )),
    }
}

impl Member {
    /// This member with a patch applied, checked.
    pub fn patched(&self, patch: &MemberPatch) -> AppResult<Member> {
        let mut next = self.clone();
        if let Some(v) = &patch.name {
            next.name = v.trim().to_string();
        }
        if let Some(v) = &patch.organization {
            next.organization = v.trim().to_string();
        }
        if let Some(v) = patch.organization_kind {
            next.organization_kind = v;
        }
        match &patch.email {
            MaybeUndefined::Value(v) => next.email = normalize_email(Some(v)),
            MaybeUndefined::Null => next.email = None,
            MaybeUndefined::Undefined => {}
        }
        if let Some(v) = patch.active {
            next.active = v;
        }
        next.validate()?;
        Ok(next)
    }

    pub fn validate(&self) -> AppResult<()> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.push(FieldError::new("name", "氏名を入力してください"));
        } else if name.chars().count() > NAME_MAX {
            errors.push(FieldError::new(
                "name",
                format!("氏名は{NAME_MAX}文字以内で入力してください"),
            ));
        }
        if self.organization.chars().count() > ORGANIZATION_MAX {
            errors.push(FieldError::new(
                "organization",
                format!("所属は{ORGANIZATION_MAX}文字以内で入力してください"),
            ));
        }
        if let Some(email) = &self.email
            && let Err(why) = crate::email::check(email)
        {
            errors.push(FieldError::new("email", why));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(errors))
        }
    }
}

impl NewMember {
    /// The member this input describes, checked (id and ward are filled by the store).
    pub fn to_member(&self, ward_id: i64) -> AppResult<Member> {
        let m = Member {
            id: 0,
            ward_id,
            name: self.name.trim().to_string(),
            organization: self.organization.trim().to_string(),
            organization_kind: self.organization_kind,
            email: normalize_email(self.email.as_ref()),
            active: self.active,
        };
        m.validate()?;
        Ok(m)
    }
}

/// The address as stored: folded as [`crate::email::check`] folds it (a
/// refused one is kept as typed, for `validate` to name).
fn normalize_email(v: Option<&SingleLine>) -> Option<String> {
    v.map(|s| match crate::email::check(s) {
        Ok(c) => c.address,
        Err(_) => s.trim().to_string(),
    })
    .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_follow_the_one_rule() {
        let m = |email: &str| Member {
            id: 0,
            ward_id: 1,
            name: "見本 一郎".into(),
            organization: "医師会".into(),
            organization_kind: OrganizationKind::MedicalAssociation,
            email: Some(email.into()),
            active: true,
        };
        assert!(m("taro@example.jp").validate().is_ok());
        assert!(m("taro.@docomo.ne.jp").validate().is_ok());
        for bad in [
            "taro@example",
            "太郎@example.jp",
            "@example.jp",
            "a@b@example.jp",
        ] {
            let err = m(bad).validate().unwrap_err();
            assert_eq!(err.field_errors()[0].field, "email", "{bad}");
        }
    }

    #[test]
    fn every_id_must_be_a_member_of_this_ward() {
        let wards_of = std::collections::HashMap::from([(1, 10), (2, 10), (3, 20)]);
        assert!(check_in_ward(10, &[], &wards_of, "attendees").is_ok());
        assert!(check_in_ward(10, &[1, 2, 1], &wards_of, "attendees").is_ok());
        // Another ward's member and one that does not exist answer alike.
        for (ids, named) in [(vec![1, 3], 3), (vec![4, 3], 4)] {
            let err = check_in_ward(10, &ids, &wards_of, "attendees").unwrap_err();
            assert_eq!(err.status(), 422);
            let e = &err.field_errors()[0];
            assert_eq!(e.field, "attendees");
            assert_eq!(
                e.message,
                format!("委員(ID {named})はこの区の委員ではありません")
            );
        }
    }

    #[test]
    fn a_patch_that_empties_the_name_is_refused() {
        let m = Member {
            id: 1,
            ward_id: 1,
            name: "テスト 太郎".into(),
            organization: "医師会".into(),
            organization_kind: OrganizationKind::MedicalAssociation,
            email: None,
            active: true,
        };
        let patch = MemberPatch {
            name: Some("  ".parse().unwrap()),
            ..Default::default()
        };
        assert!(matches!(m.patched(&patch), Err(AppError::Invalid(e)) if e[0].field == "name"));
        let patch = MemberPatch {
            email: MaybeUndefined::Value("x@example.jp".parse().unwrap()),
            ..Default::default()
        };
        assert_eq!(
            m.patched(&patch).unwrap().email.as_deref(),
            Some("x@example.jp")
        );
    }
}
