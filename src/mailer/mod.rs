//! Sending the mail outbox ([`crate::mail`]): each mail rendered in its
//! recipient's language from `locales/<lang>/mail.ftl` and sent over SMTP
//! by the worker in `worker.rs`. A mail says what waits, a reference and a
//! link, and nothing about anyone.

pub mod worker;

use crate::mail::{MailKind, RecipientKind};
use crate::web::i18n::{Lang, Texts};

/// A mail's subject and plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// The language a recipient reads: theirs when their side offers it (the
/// staff UI's for staff, the portal's for people at a partner), else that
/// side's first.
pub fn language(kind: RecipientKind, code: &str) -> Lang {
    let offered: &[Lang] = match kind {
        RecipientKind::Staff => &Lang::ALL,
        RecipientKind::PartnerUser => &Lang::PORTAL,
    };
    Lang::parse(code)
        .filter(|lang| offered.contains(lang))
        .unwrap_or(offered[0])
}

/// The text key of a kind of mail: `mail-<kind>-subject`, `-body`.
fn key(kind: MailKind, part: &str) -> String {
    format!("mail-{}-{part}", kind.as_str().replace('_', "-"))
}

/// Renders a mail: what waits (`count` of it), the reference and the link.
pub fn render(kind: MailKind, lang: Lang, reference: &str, count: i32, link: &str) -> Rendered {
    let t = Texts::new(lang);
    let mut body = vec![t.t(&key(kind, "body"))];
    if count > 1 {
        body.push(t.count("mail-count", usize::try_from(count).unwrap_or(1)));
    }
    body.push(String::new());
    body.push(t.t1("mail-reference", "value", reference));
    body.push(t.t1("mail-open", "value", link));
    body.push(String::new());
    body.push(t.t("mail-why"));
    Rendered {
        subject: t.t(&key(kind, "subject")),
        body: body.join("\n") + "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [MailKind; 6] = [
        MailKind::ReferralRequested,
        MailKind::ReferralCancelled,
        MailKind::PlanReturned,
        MailKind::MonitoringDue,
        MailKind::DraftWaiting,
        MailKind::PlanToApprove,
    ];

    #[test]
    fn every_mail_has_its_texts_in_every_language() {
        for lang in [Lang::Nl, Lang::En, Lang::Fr, Lang::Ar] {
            let t = Texts::new(lang);
            for kind in KINDS {
                for part in ["subject", "body"] {
                    let key = key(kind, part);
                    assert!(t.has(&key), "{key} in {}", lang.code());
                }
            }
        }
    }

    #[test]
    fn a_mail_is_in_the_recipients_language_with_the_reference_and_the_link() {
        let link = "https://brug.example.org/portal/referrals/r-1";
        let fr = render(MailKind::ReferralRequested, Lang::Fr, "r-1", 1, link);
        assert_eq!(fr.subject, "Une nouvelle orientation vous attend");
        assert!(fr.body.contains("Référence : r-1"), "{}", fr.body);
        assert!(fr.body.contains(link), "{}", fr.body);
        let en = render(MailKind::ReferralRequested, Lang::En, "r-1", 1, link);
        assert_eq!(en.subject, "A new referral is waiting");
        assert!(en.body.contains("Reference: r-1"), "{}", en.body);
        let ar = render(MailKind::ReferralRequested, Lang::Ar, "r-1", 1, link);
        assert_ne!(ar.subject, en.subject, "Arabic has its own text");
        assert!(ar.body.contains(link), "{}", ar.body);
        let nl = render(
            MailKind::PlanToApprove,
            Lang::Nl,
            "r-1",
            1,
            "/return-cases/c-1",
        );
        assert_eq!(nl.subject, "Een plan wacht op uw goedkeuring");
        assert!(nl.body.contains("Referentie: r-1"), "{}", nl.body);
        let three = render(MailKind::MonitoringDue, Lang::En, "r-1", 3, link);
        assert!(
            three.body.contains("3 things wait for you"),
            "{}",
            three.body
        );
        for lang in [Lang::Nl, Lang::En, Lang::Fr, Lang::Ar] {
            for kind in KINDS {
                let mail = render(kind, lang, "r-1", 1, link);
                assert!(!mail.subject.starts_with("mail-"), "{}", mail.subject);
                assert!(!mail.body.contains("mail-"), "{}", mail.body);
            }
        }
    }

    #[test]
    fn each_side_reads_only_its_own_languages() {
        assert_eq!(language(RecipientKind::Staff, "en"), Lang::En);
        assert_eq!(language(RecipientKind::Staff, "fr"), Lang::Nl);
        assert_eq!(language(RecipientKind::PartnerUser, "ar"), Lang::Ar);
        assert_eq!(language(RecipientKind::PartnerUser, "nl"), Lang::En);
        assert_eq!(language(RecipientKind::PartnerUser, "xx"), Lang::En);
    }
}
