//! Fixed catalogues whose values are Japanese labels used as codes in the
//! database, the API and the UI alike (the domain's own words, DOMAIN.md).

/// Declares an enum whose variants carry a Japanese label that is both its
/// wire form (API, database) and what the UI shows.
macro_rules! label_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            poem_openapi::Enum, serde::Serialize, serde::Deserialize,
        )]
        pub enum $name {
            $(#[oai(rename = $label)] #[serde(rename = $label)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(value: &str) -> Option<Self> {
                match value { $($label => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use label_enum;
