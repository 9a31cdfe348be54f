//! Accounts: stored accounts with their role and place, sign-in, sessions,
//! API tokens, passwords, invitations and resets. The roles and the rules
//! of who may do what are `crate::access`'s ([`Actor`], [`Role`]), which
//! accounts build on.

pub mod pages;
pub mod secret;
pub mod store;

pub use crate::access::{Actor, Role, WardScope};

use crate::error::{AppError, AppResult};

/// Where an account sits, as its role asks: what [`check_placement`]
/// leaves to be looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The installation's operator (運用管理者): no municipality, no ward.
    Installation,
    /// A whole municipality (the city, a city-level viewer), which must exist.
    Municipality(i64),
    /// One ward, which must belong to the municipality.
    Ward {
        /// The municipality given.
        municipality_id: i64,
        /// The ward given, to be found in that municipality.
        ward_id: i64,
    },
}

/// The role's placement rules, for a new account of `role` in
/// `municipality_id` and `ward_id`: the operator belongs to no
/// municipality; every other role to one; a secretariat or a member to one
/// of its wards; the city to none of them (a viewer to either). Errors: 422
/// on the field to correct (`role`, `municipality`, `ward`).
pub fn check_placement(
    role: Role,
    municipality_id: Option<i64>,
    ward_id: Option<i64>,
) -> AppResult<Placement> {
    match (role, municipality_id, ward_id) {
        (Role::Admin, None, None) => Ok(Placement::Installation),
        (Role::Admin, _, _) => Err(AppError::invalid(
            "role",
            "運用管理者は市区町村に属しません",
        )),
        (_, None, _) => Err(AppError::invalid(
            "municipality",
            "市区町村を指定してください",
        )),
        (Role::Secretariat | Role::Member, _, None) => {
            Err(AppError::invalid("ward", "区を指定してください"))
        }
        (Role::City, _, Some(_)) => Err(AppError::invalid(
            "ward",
            "市担当課のアカウントは区を指定しません",
        )),
        (_, Some(m), Some(w)) => Ok(Placement::Ward {
            municipality_id: m,
            ward_id: w,
        }),
        (_, Some(m), None) => Ok(Placement::Municipality(m)),
    }
}

/// A new account's address, already normalised: it has an `@` and at most
/// 254 bytes. Errors: 422 on `email`.
pub fn check_email(normalized: &str) -> AppResult<()> {
    if !normalized.contains('@') || normalized.len() > 254 {
        return Err(AppError::invalid(
            "email",
            "メールアドレスの形式が正しくありません",
        ));
    }
    Ok(())
}

/// Where to go after signing in: the page that asked (`next`), when it is
/// a path of this site (`/…`, not `//host` or `/\host`, no control
/// characters or spaces, not the sign-in page itself); home otherwise, so a
/// link can never send a fresh session to another site.
pub fn after_sign_in(next: &str) -> &str {
    let same_site = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.starts_with("/login")
        && !next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    if same_site { next } else { "/" }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: WardScope = WardScope {
        ward_id: 1,
        municipality_id: 10,
    };
    const OTHER_WARD: WardScope = WardScope {
        ward_id: 2,
        municipality_id: 10,
    };
    const OTHER_CITY: WardScope = WardScope {
        ward_id: 3,
        municipality_id: 20,
    };

    fn actor(role: Role, ward: Option<i64>) -> Actor {
        Actor {
            account_id: 1,
            role,
            municipality_id: if role == Role::Admin { None } else { Some(10) },
            ward_id: ward,
            member_id: Some(7),
            label: "account:1".into(),
        }
    }

    #[test]
    fn city_reads_and_writes_every_ward_of_its_municipality_only() {
        let a = actor(Role::City, None);
        assert!(a.can_read_ward(OWN) && a.can_write_ward(OTHER_WARD));
        assert!(!a.can_read_ward(OTHER_CITY) && !a.can_write_ward(OTHER_CITY));
        assert!(a.can_write_municipality(10) && !a.can_write_municipality(20));
    }

    #[test]
    fn secretariat_reads_and_writes_its_own_ward_only() {
        let a = actor(Role::Secretariat, Some(1));
        assert!(a.can_read_ward(OWN) && a.can_write_ward(OWN));
        assert!(!a.can_read_ward(OTHER_WARD) && !a.can_read_ward(OTHER_CITY));
        assert!(!a.can_read_municipality(10) && !a.can_write_municipality(10));
    }

    #[test]
    fn member_reads_its_ward_and_writes_nothing() {
        let a = actor(Role::Member, Some(1));
        assert!(a.can_read_ward(OWN) && !a.can_write_ward(OWN));
    }

    #[test]
    fn viewer_writes_nothing_and_city_level_viewer_reads_the_municipality() {
        let ward_viewer = actor(Role::Viewer, Some(1));
        assert!(ward_viewer.can_read_ward(OWN) && !ward_viewer.can_read_ward(OTHER_WARD));
        assert!(!ward_viewer.can_write_ward(OWN));
        let city_viewer = actor(Role::Viewer, None);
        assert!(city_viewer.can_read_ward(OTHER_WARD) && !city_viewer.can_read_ward(OTHER_CITY));
        assert!(city_viewer.can_read_municipality(10) && !city_viewer.can_write_municipality(10));
        assert!(!city_viewer.can_manage_accounts());
    }

    #[test]
    fn after_sign_in_goes_back_only_to_a_page_of_this_site() {
        assert_eq!(after_sign_in("/countermeasures/12"), "/countermeasures/12");
        assert_eq!(after_sign_in("/wards/1?x=1&y=2"), "/wards/1?x=1&y=2");
        for bad in [
            "",
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "/\\/evil.example",
            "/login?next=/x",
            "javascript:alert(1)",
            "/a b",
            "/a\nb",
            "wards/1",
        ] {
            assert_eq!(after_sign_in(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn each_role_sits_where_it_belongs() {
        use Role::{Admin, City, Member, Secretariat, Viewer};
        let ward = Placement::Ward {
            municipality_id: 10,
            ward_id: 1,
        };
        assert_eq!(
            check_placement(Admin, None, None).unwrap(),
            Placement::Installation
        );
        assert_eq!(
            check_placement(City, Some(10), None).unwrap(),
            Placement::Municipality(10)
        );
        for role in [Secretariat, Member, Viewer] {
            assert_eq!(check_placement(role, Some(10), Some(1)).unwrap(), ward);
        }
        assert_eq!(
            check_placement(Viewer, Some(10), None).unwrap(),
            Placement::Municipality(10)
        );
        for (role, m, w, field) in [
            (Admin, Some(10), None, "role"),
            (Admin, None, Some(1), "role"),
            (City, None, None, "municipality"),
            (Secretariat, None, Some(1), "municipality"),
            (Viewer, None, None, "municipality"),
            (Secretariat, Some(10), None, "ward"),
            (Member, Some(10), None, "ward"),
            (City, Some(10), Some(1), "ward"),
        ] {
            let err = check_placement(role, m, w).unwrap_err();
            assert_eq!(err.status(), 422, "{role:?} {m:?} {w:?}");
            assert_eq!(err.field_errors()[0].field, field, "{role:?} {m:?} {w:?}");
        }
    }

    #[test]
    fn an_address_needs_an_at_and_fits_254_bytes() {
        assert!(check_email("taro@example.jp").is_ok());
        let long = format!("{}@example.jp", "a".repeat(243));
        assert_eq!(long.len(), 254);
        assert!(check_email(&long).is_ok());
        let longer = format!("a{long}");
        for bad in ["taro.example.jp", "", longer.as_str()] {
            assert_eq!(
                check_email(bad).unwrap_err().field_errors()[0].field,
                "email"
            );
        }
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
