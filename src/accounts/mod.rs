//! Accounts, roles and who may do what: the access rules, with no I/O.
//!
//! Every request is made by an [`Actor`] (a signed-in account or the owner of
//! an API token). The rules of who reads and changes what are the `can_*`
//! methods below; `crate::access` applies them to typed ids and hands out
//! the scope values the stores require: nothing else grants access.

pub mod pages;
pub mod secret;
pub mod store;

use serde::Serialize;

/// What an account may do, in increasing reach within its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Role {
    /// The installation's operator: creates municipalities; not tied to one.
    Admin,
    /// 市の担当課: every ward of its municipality, accounts, audit log.
    City,
    /// 区の事務局: its own ward.
    Secretariat,
    /// 委員: reads its ward; records evaluations on countermeasures it owns.
    Member,
    /// Reads its ward, or every ward of its municipality when city-level.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::City,
        Role::Secretariat,
        Role::Member,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::City => "city",
            Role::Secretariat => "secretariat",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "運用管理者",
            Role::City => "市担当課",
            Role::Secretariat => "区事務局",
            Role::Member => "委員",
            Role::Viewer => "閲覧者",
        }
    }
}

/// Who is making the request, with the scope their role applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub account_id: i64,
    pub role: Role,
    /// None only for [`Role::Admin`].
    pub municipality_id: Option<i64>,
    /// None for city-level accounts.
    pub ward_id: Option<i64>,
    /// The committee member record linked to this account, if any.
    pub member_id: Option<i64>,
    /// What the audit log records as the actor: `account:<id>` (no names or
    /// addresses, which may be corrected or erased later).
    pub label: String,
}

/// Where a ward lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WardScope {
    pub ward_id: i64,
    pub municipality_id: i64,
}

impl Actor {
    pub fn is_city_level(&self) -> bool {
        self.ward_id.is_none()
    }

    fn in_municipality(&self, municipality_id: i64) -> bool {
        self.role == Role::Admin || self.municipality_id == Some(municipality_id)
    }

    pub fn can_read_ward(&self, ward: WardScope) -> bool {
        match self.role {
            Role::Admin => true,
            Role::City => self.in_municipality(ward.municipality_id),
            Role::Viewer if self.is_city_level() => self.in_municipality(ward.municipality_id),
            Role::Secretariat | Role::Member | Role::Viewer => {
                self.in_municipality(ward.municipality_id) && self.ward_id == Some(ward.ward_id)
            }
        }
    }

    pub fn can_write_ward(&self, ward: WardScope) -> bool {
        match self.role {
            Role::Admin | Role::City | Role::Secretariat => self.can_read_ward(ward),
            Role::Member | Role::Viewer => false,
        }
    }

    pub fn can_read_municipality(&self, municipality_id: i64) -> bool {
        self.is_city_level() && self.in_municipality(municipality_id)
    }

    pub fn can_write_municipality(&self, municipality_id: i64) -> bool {
        matches!(self.role, Role::Admin | Role::City) && self.in_municipality(municipality_id)
    }

    pub fn can_manage_accounts(&self) -> bool {
        matches!(self.role, Role::Admin | Role::City)
    }
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
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
