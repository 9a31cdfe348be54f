//! Who is acting, and the rules of who reads and changes what, with no I/O.
//!
//! Every request is made by an [`Actor`] (a signed-in account or the owner
//! of an API token). The rules are the `can_*` methods below; the scopes of
//! `crate::access` apply them to typed ids: nothing else grants access.

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
