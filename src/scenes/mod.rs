//! Scenes of home care (場面): the four of the national guide (手引き
//! Ver.3, 2020), present in every municipality, and the ones a
//! municipality adds (e.g. 災害・感染症). Countermeasures, indicators and the
//! goals of a 目指すべき姿 name scenes by their name; a name is checked
//! here against the municipality's list before it is stored.

pub mod api;
pub mod pages;
pub mod store;

use crate::error::{AppError, AppResult, FieldError};

/// The national scenes, in the guide's order: 日常の療養支援, 入退院支援,
/// 急変時の対応, 看取り.
pub const NATIONAL: [&str; 4] = ["日常の療養支援", "入退院支援", "急変時の対応", "看取り"];

/// The longest scene name a municipality may add, in characters.
pub const NAME_MAX: usize = 40;

/// One scene of a municipality's list.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, poem_openapi::Object,
)]
pub struct SceneEntry {
    /// The name, as stored wherever the scene is named.
    pub name: String,
    /// One of the four national scenes (`NATIONAL`); false for the
    /// municipality's own.
    pub national: bool,
}

/// A municipality's scenes: the national four, then its own in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scenes(pub Vec<SceneEntry>);

impl Scenes {
    /// The national four followed by `own` (already in their order).
    pub fn with_own(own: impl IntoIterator<Item = String>) -> Self {
        let mut all: Vec<SceneEntry> = NATIONAL
            .iter()
            .map(|n| SceneEntry {
                name: n.to_string(),
                national: true,
            })
            .collect();
        all.extend(own.into_iter().map(|name| SceneEntry {
            name,
            national: false,
        }));
        Self(all)
    }

    /// Whether `name` is one of them.
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|s| s.name == name)
    }

    /// The names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|s| s.name.as_str())
    }

    /// Checks names given for `field`: each trimmed, blanks dropped,
    /// duplicates kept once, returned in the list's order. Errors: a
    /// [`FieldError`] on `field` naming the unknown scene and the choices.
    pub fn resolve<S: AsRef<str>>(
        &self,
        field: &str,
        given: &[S],
    ) -> Result<Vec<String>, FieldError> {
        let mut wanted = Vec::new();
        for name in given
            .iter()
            .map(|s| s.as_ref().trim())
            .filter(|s| !s.is_empty())
        {
            if !self.contains(name) {
                let choices: Vec<&str> = self.names().collect();
                return Err(FieldError::new(
                    field,
                    format!(
                        "場面「{name}」はこの自治体の場面にありません（{}のいずれかを指定してください）",
                        choices.join("・")
                    ),
                ));
            }
            wanted.push(name);
        }
        Ok(self
            .names()
            .filter(|n| wanted.contains(n))
            .map(str::to_string)
            .collect())
    }
}

/// Checks the name of a scene to add to `scenes`: trimmed, not blank, at
/// most [`NAME_MAX`] characters, not one of the list (national or own).
/// Returns the trimmed name. Errors: 422 on field `name` (blank, too long);
/// 409 for a name already in the list.
pub fn check_new(scenes: &Scenes, name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "場面の名前を入力してください"));
    }
    if name.chars().count() > NAME_MAX {
        return Err(AppError::invalid(
            "name",
            format!("場面の名前は{NAME_MAX}文字以内で入力してください"),
        ));
    }
    if scenes.contains(name) {
        return Err(AppError::Conflict(format!(
            "場面「{name}」はすでにあります"
        )));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_against_the_national_and_own_scenes_in_list_order() {
        let scenes = Scenes::with_own(["災害・感染症".to_string()]);
        assert_eq!(
            scenes
                .resolve("scenes", &["災害・感染症", " 看取り ", "", "看取り"])
                .unwrap(),
            ["看取り", "災害・感染症"]
        );
        let err = scenes.resolve("scenes", &["在宅"]).unwrap_err();
        assert_eq!(err.field, "scenes");
        assert!(err.message.contains("在宅") && err.message.contains("災害・感染症"));
        assert!(
            Scenes::with_own([])
                .resolve("scenes", &["災害・感染症"])
                .is_err()
        );
    }

    #[test]
    fn a_new_scene_is_trimmed_and_refused_blank_too_long_or_taken() {
        let scenes = Scenes::with_own(["災害・感染症".to_string()]);
        assert_eq!(check_new(&scenes, " 認知症 ").unwrap(), "認知症");
        assert!(matches!(
            check_new(&scenes, "  "),
            Err(AppError::Invalid(_))
        ));
        let long = "あ".repeat(NAME_MAX + 1);
        assert!(matches!(
            check_new(&scenes, &long),
            Err(AppError::Invalid(_))
        ));
        assert!(check_new(&scenes, &"あ".repeat(NAME_MAX)).is_ok());
        assert!(matches!(
            check_new(&scenes, "看取り"),
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            check_new(&scenes, "災害・感染症"),
            Err(AppError::Conflict(_))
        ));
    }
}
