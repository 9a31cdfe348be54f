//! Accounts: stored accounts with their role and place, sign-in, sessions,
//! API tokens, passwords, invitations and resets. The roles and the rules
//! of who may do what are `crate::access`'s ([`Actor`], [`Role`]), which
//! accounts build on.

pub mod pages;
pub mod secret;
pub mod store;

pub use crate::access::{Actor, Role, WardScope};

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
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
