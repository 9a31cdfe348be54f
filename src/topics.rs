//! The ten standard agenda topics (会議の内容), numbered 1–10.

/// One agenda topic of the fixed catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topic {
    pub number: u8,
    pub label: &'static str,
}

/// The catalogue, in order; `TOPICS[n - 1].number == n`.
pub const TOPICS: [Topic; 10] = [
    Topic {
        number: 1,
        label: "地域の医療・介護にかかわる資源の充足状況について",
    },
    Topic {
        number: 2,
        label: "在宅医療・介護連携の取組の状況について",
    },
    Topic {
        number: 3,
        label: "情報共有のルールの策定について",
    },
    Topic {
        number: 4,
        label: "切れ目のない在宅医療・介護連携の提供体制の構築について",
    },
    Topic {
        number: 5,
        label: "医療・介護のネットワークづくりについて",
    },
    // The source's wording, including its typo 「関係者やの」.
    Topic {
        number: 6,
        label: "医療・介護の関係者やの連携担当者の顔の見える関係づくりについて",
    },
    Topic {
        number: 7,
        label: "地域住民の普及啓発について",
    },
    Topic {
        number: 8,
        label: "地域における在宅医療・介護連携に関する目標の設定について",
    },
    Topic {
        number: 9,
        label: "地域における在宅医療・介護連携の取組を評価する",
    },
    Topic {
        number: 10,
        label: "在宅医療・介護連携推進事業の進捗管理について",
    },
];

/// The topic with this number, if it is one of the ten.
pub fn topic(number: i64) -> Option<Topic> {
    usize::try_from(number)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| TOPICS.get(i).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_positions_and_only_one_to_ten_exist() {
        for (i, t) in TOPICS.iter().enumerate() {
            assert_eq!(usize::from(t.number), i + 1);
        }
        assert!(topic(0).is_none());
        assert!(topic(11).is_none());
        assert!(topic(-1).is_none());
        assert_eq!(
            topic(7).map(|t| t.label),
            Some("地域住民の普及啓発について")
        );
    }
}
