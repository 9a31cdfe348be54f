//! E-mail addresses: one rule, applied where an address is entered
//! (members, a ward's secretariat address, accounts) and where mail is sent,
//! so an accepted address is one the sender will try.
//!
//! - Full-width letters typed with the IME on are folded (NFKC):
//!   `ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ` is stored as `taro@example.jp`.
//! - The local part (before `@`) and the domain must be ASCII: a non-ASCII
//!   local part needs SMTPUTF8, which municipal mail servers do not offer,
//!   and a Japanese domain is written in its `xn--` form.
//! - Old mobile-carrier addresses (a dot before `@`, two dots in a row, a
//!   leading dot: `taro..x.@docomo.ne.jp`) are still in use and the
//!   carriers deliver them; they are not dot-atoms, so they are sent as an
//!   RFC 5321 quoted string (`"taro..x."@docomo.ne.jp`), which is what
//!   their servers accept.

use unicode_normalization::UnicodeNormalization;

/// Why an address cannot be used, in Japanese (shown beside the field).
pub type Refusal = &'static str;

/// An address as stored: folded, checked, not quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The address to store.
    pub address: String,
    /// Whether folding changed what was typed (full-width letters, spaces
    /// around it), so the form can say so.
    pub changed: bool,
}

/// Checks and folds an entered address. Errors: a Japanese sentence saying
/// what is wrong.
pub fn check(input: &str) -> Result<Checked, Refusal> {
    let folded: String = input.nfkc().collect::<String>().trim().to_string();
    let changed = folded != input;
    let Some((local, domain)) = folded.rsplit_once('@') else {
        return Err("メールアドレスの形式が正しくありません（@がありません）");
    };
    if local.is_empty() || domain.is_empty() {
        return Err("メールアドレスの形式が正しくありません");
    }
    if !local.is_ascii() {
        return Err("@より前（ユーザー名）に日本語や全角の記号は使えません");
    }
    if !domain.is_ascii() {
        return Err("ドメイン（@より後）に日本語は使えません。xn-- で始まる形で入力してください");
    }
    if folded.len() > 254 || local.len() > 64 {
        return Err("メールアドレスが長すぎます");
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if !domain.contains('.') || !domain.split('.').all(label_ok) {
        return Err("ドメイン（@より後）の形式が正しくありません");
    }
    if mailbox(&folded).is_none() {
        return Err("このメールアドレスには送信できません（使えない記号が含まれています）");
    }
    Ok(Checked {
        address: folded,
        changed,
    })
}

/// The mailbox the sender sends to: the stored address as it is, or with
/// its local part quoted when it is not a dot-atom (old carrier forms).
/// `None` when neither form is an address.
pub fn mailbox(address: &str) -> Option<lettre::Address> {
    if let Ok(a) = address.parse::<lettre::Address>() {
        return Some(a);
    }
    let (local, domain) = address.rsplit_once('@')?;
    // Quoted only for what the carriers' old forms get wrong, the dots: the
    // other characters must be those a dot-atom allows (RFC 5322 atext), so
    // a typo such as a second `@` is still refused.
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    if local.is_empty() || !local.chars().all(atext) {
        return None;
    }
    format!("\"{local}\"@{domain}").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_input_is_folded_and_reported() {
        let c = check("ｔａｒｏ．ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｊｐ").unwrap();
        assert_eq!(c.address, "taro.yamada@example.jp");
        assert!(c.changed);
        let c = check("taro@example.jp").unwrap();
        assert!(!c.changed);
        assert_eq!(
            check(" taro@example.jp ").unwrap().address,
            "taro@example.jp"
        );
    }

    #[test]
    fn old_carrier_forms_are_accepted_and_sent_quoted() {
        for a in [
            "taro.@docomo.ne.jp",
            "taro..x@ezweb.ne.jp",
            ".taro@softbank.ne.jp",
        ] {
            let c = check(a).unwrap();
            assert_eq!(c.address, a);
            let sent = mailbox(a).unwrap().to_string();
            assert_eq!(
                sent,
                format!(
                    "\"{}\"@{}",
                    &a[..a.find('@').unwrap()],
                    &a[a.find('@').unwrap() + 1..]
                )
            );
        }
        assert_eq!(
            mailbox("taro@example.jp").unwrap().to_string(),
            "taro@example.jp"
        );
    }

    #[test]
    fn what_the_sender_cannot_use_is_refused_on_entry() {
        for a in [
            "太郎@example.jp",
            "taro@例え.jp",
            "taro@example",
            "taro",
            "@example.jp",
            "taro@",
            "ta ro@example.jp",
            "ta\"ro@example.jp",
            "taro@-example.jp",
            "taro@example..jp",
        ] {
            assert!(check(a).is_err(), "{a}");
        }
    }
}
