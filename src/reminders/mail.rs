//! The reminder mail: subject and the plain-text and HTML bodies, rendered
//! from `templates/mail/overdue_digest.{txt,html}` at queue time, so what
//! the outbox holds is exactly what will be sent.

use askama::Template;

use super::{Digest, RecipientKind};
use crate::calendar::wareki_date;
use crate::error::{AppError, AppResult};
use crate::topics;

/// One line of the digest as the templates show it.
pub struct MailItem {
    pub ward: String,
    pub topic: String,
    pub title: String,
    pub due: String,
    pub due_iso: String,
    /// 「5日超過」 or 「あと3日」 / 「本日期限」.
    pub status: String,
    pub overdue: bool,
    /// Listed to the secretariat because its owner has no usable address.
    pub unaddressed: bool,
    pub owner: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "mail/overdue_digest.txt")]
struct DigestText<'a> {
    escalation: bool,
    /// Escalated items and 宛先のない対応策 in a secretariat digest.
    escalated: usize,
    unaddressed: usize,
    /// The ward(s) a secretariat digest covers: 「北区」, 「北区・都島区」.
    wards: &'a str,
    items: &'a [MailItem],
    overdue: usize,
    notices: usize,
    base_url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/overdue_digest.html")]
struct DigestHtml<'a> {
    escalation: bool,
    /// Escalated items and 宛先のない対応策 in a secretariat digest.
    escalated: usize,
    unaddressed: usize,
    wards: &'a str,
    items: &'a [MailItem],
    overdue: usize,
    notices: usize,
    base_url: &'a str,
}

/// A rendered message.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub fn render_digest(digest: &Digest, base_url: &str) -> AppResult<Rendered> {
    let base_url = base_url.trim_end_matches('/');
    let items: Vec<MailItem> = digest
        .items
        .iter()
        .map(|i| MailItem {
            ward: i.ward_name.clone(),
            topic: topics::topic(i.topic)
                .map(|t| format!("{}. {}", t.number, t.label))
                .unwrap_or_else(|| i.topic.to_string()),
            title: i.title.clone(),
            due: wareki_date(i.due_on),
            due_iso: i.due_on.to_string(),
            status: match i.days_overdue {
                n if n > 0 => format!("{n}日超過"),
                0 => "本日期限".into(),
                n => format!("あと{}日", -n),
            },
            overdue: i.overdue(),
            unaddressed: digest.lists_unaddressed(i),
            owner: i.owner_name.clone().unwrap_or_else(|| "（未設定）".into()),
            link: format!("{base_url}/countermeasures/{}", i.id),
        })
        .collect();
    let overdue = digest.overdue_count();
    let notices = items.len() - overdue;
    let unaddressed = digest.unaddressed();
    let escalated = items.len() - unaddressed;
    let escalation = digest.kind == RecipientKind::Secretariat;
    // The secretariat is greeted by its ward, in the order its items list them.
    let mut ward_names: Vec<&str> = Vec::new();
    for i in &items {
        if !ward_names.contains(&i.ward.as_str()) {
            ward_names.push(&i.ward);
        }
    }
    let wards = ward_names.join("・");
    let subject = if escalation && unaddressed == 0 {
        format!("【renkei】評価期限を過ぎた対応策が{escalated}件あります（事務局あて）")
    } else if escalation && escalated == 0 {
        format!("【renkei】担当委員に通知できない対応策が{unaddressed}件あります（事務局あて）")
    } else if escalation {
        format!(
            "【renkei】評価期限を過ぎた対応策が{escalated}件、担当委員に通知できない対応策が{unaddressed}件あります（事務局あて）"
        )
    } else if overdue > 0 {
        format!("【renkei】対応策の評価期限が過ぎています（超過{overdue}件・期限間近{notices}件）")
    } else {
        format!("【renkei】対応策の評価期限が近づいています（{notices}件）")
    };
    let render_err = |e: askama::Error| AppError::Internal(anyhow::anyhow!("mail template: {e}"));
    let text = DigestText {
        escalation,
        escalated,
        unaddressed,
        wards: &wards,
        items: &items,
        overdue,
        notices,
        base_url,
    }
    .render()
    .map_err(render_err)?;
    let html = DigestHtml {
        escalation,
        escalated,
        unaddressed,
        wards: &wards,
        items: &items,
        overdue,
        notices,
        base_url,
    }
    .render()
    .map_err(render_err)?;
    Ok(Rendered {
        subject,
        text,
        html,
    })
}
