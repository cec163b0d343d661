//! The words of each message, as data (`catalogue/notifications.toml`). Parsing checks the whole
//! file against [`Template::variables`] so a typo stops the service at start-up instead of
//! sending a resident `{nmaa}`; rendering is then infallible except for a variable the outbox
//! did not fill.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;

use super::{Channel, Params, Template};

/// Why a templates file cannot be used, or a message cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the notification templates are not valid TOML: {0}")]
    Malformed(String),
    #[error("notification template {0:?} is missing")]
    Missing(&'static str),
    #[error("{0:?} is not a notification template (known: account_approved, reset_code, …)")]
    UnknownTemplate(String),
    #[error("template {template}: {part} uses {{{variable}}}, which is not one of its variables ({allowed})")]
    UnknownVariable { template: &'static str, part: &'static str, variable: String, allowed: String },
    #[error("template {template}: {part}: {problem}")]
    Invalid { template: &'static str, part: &'static str, problem: String },
    #[error("template {template}: variable {variable:?} has no value")]
    Unfilled { template: &'static str, variable: String },
}

/// The e-mail of a message, ready for the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    /// The text as a small self-contained HTML page: escaped, in paragraphs, addresses as links.
    pub html: String,
}

/// A WhatsApp Cloud API template message's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppMessage {
    /// The template's name as approved in WhatsApp Manager.
    pub name: String,
    /// Its language code (`id`).
    pub language: String,
    /// The body parameters `{{1}}`, `{{2}}`, … in order, cleaned the way the Cloud API accepts
    /// them (no line breaks or tabs, never empty).
    pub parameters: Vec<String>,
    /// The body as the resident reads it (for the log channel and the docs).
    pub body: String,
}

/// Every message's words, checked.
#[derive(Debug, Clone)]
pub struct Templates {
    entries: BTreeMap<Template, Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    whatsapp: WhatsAppEntry,
    email: Option<EmailEntry>,
}

#[derive(Debug, Clone)]
struct WhatsAppEntry {
    name: String,
    language: String,
    body: Text,
    parameters: Vec<String>,
}

#[derive(Debug, Clone)]
struct EmailEntry {
    subject: Text,
    text: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    whatsapp: FileWhatsApp,
    email: Option<FileEmail>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWhatsApp {
    name: String,
    language: String,
    body: String,
    parameters: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEmail {
    subject: String,
    text: String,
}

/// A text with `{variable}` placeholders, split once at parse time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Text(Vec<Piece>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Variable(String),
}

impl Text {
    fn parse(source: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = source.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' => name.push(c),
                            Some(c) => return Err(format!("{c:?} inside a placeholder (write {{{{ for a brace)")),
                            None => return Err("a placeholder is not closed".into()),
                        }
                    }
                    if name.is_empty() {
                        return Err("an empty placeholder {}".into());
                    }
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Variable(name));
                }
                '}' => return Err("a lone } (write }} for a brace)".into()),
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(Self(pieces))
    }

    fn variables(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|p| match p {
            Piece::Variable(v) => Some(v.as_str()),
            Piece::Literal(_) => None,
        })
    }

    fn render(&self, values: &impl Fn(&str) -> Result<String, String>) -> Result<String, String> {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Literal(s) => out.push_str(s),
                Piece::Variable(v) => out.push_str(&values(v)?),
            }
        }
        Ok(out)
    }
}

impl Templates {
    /// Reads and checks a templates file: every [`Template`] present, nothing else, every
    /// placeholder and WhatsApp parameter one of the message's variables, an e-mail exactly for
    /// the messages that go out by e-mail.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let file: BTreeMap<String, FileEntry> =
            toml::from_str(source).map_err(|e| TemplateError::Malformed(e.to_string()))?;
        if let Some(unknown) = file.keys().find(|k| k.parse::<Template>().is_err()) {
            return Err(TemplateError::UnknownTemplate(unknown.clone()));
        }
        let mut entries = BTreeMap::new();
        for template in Template::ALL {
            let key = template.as_str();
            let entry = file.get(key).ok_or(TemplateError::Missing(key))?;
            entries.insert(template, check(template, entry)?);
        }
        Ok(Self { entries })
    }

    /// The e-mail of `template` with `params` put in; `tautan…` values are joined to
    /// `public_url`.
    pub fn render(&self, template: Template, params: &Params, public_url: &str) -> Result<Rendered, TemplateError> {
        let entry = self.entry(template)?;
        let Some(email) = &entry.email else {
            return Err(TemplateError::Invalid {
                template: template.as_str(),
                part: "email",
                problem: "this message is not sent by e-mail".into(),
            });
        };
        let values = values(template, params, public_url);
        let unfilled = |variable: String| TemplateError::Unfilled { template: template.as_str(), variable };
        let subject = email.subject.render(&values).map_err(unfilled)?;
        let text = email.text.render(&values).map_err(unfilled)?;
        let html = html_page(&subject, &text);
        Ok(Rendered { subject, text, html })
    }

    /// The WhatsApp template message of `template` with `params` put in.
    pub fn whatsapp(
        &self,
        template: Template,
        params: &Params,
        public_url: &str,
    ) -> Result<WhatsAppMessage, TemplateError> {
        let whatsapp = &self.entry(template)?.whatsapp;
        let values = values(template, params, public_url);
        let unfilled = |variable: String| TemplateError::Unfilled { template: template.as_str(), variable };
        let parameters = whatsapp
            .parameters
            .iter()
            .map(|name| values(name).map(|v| whatsapp_parameter(&v)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(unfilled)?;
        let cleaned = |name: &str| values(name).map(|v| whatsapp_parameter(&v));
        let body = whatsapp.body.render(&cleaned).map_err(unfilled)?;
        Ok(WhatsAppMessage { name: whatsapp.name.clone(), language: whatsapp.language.clone(), parameters, body })
    }

    fn entry(&self, template: Template) -> Result<&Entry, TemplateError> {
        // `parse` inserted every template, so this never fails.
        self.entries.get(&template).ok_or(TemplateError::Missing(template.as_str()))
    }
}

fn check(template: Template, entry: &FileEntry) -> Result<Entry, TemplateError> {
    let key = template.as_str();
    let allowed = template.variables();
    let invalid = |part: &'static str, problem: String| TemplateError::Invalid { template: key, part, problem };
    let known = |part: &'static str, variable: &str| {
        if allowed.contains(&variable) {
            Ok(())
        } else {
            Err(TemplateError::UnknownVariable {
                template: key,
                part,
                variable: variable.to_owned(),
                allowed: allowed.join(", "),
            })
        }
    };
    let text = |part: &'static str, source: &str| -> Result<Text, TemplateError> {
        let text = Text::parse(source).map_err(|p| invalid(part, p))?;
        text.variables().try_for_each(|v| known(part, v))?;
        Ok(text)
    };

    let wa = &entry.whatsapp;
    if wa.name.is_empty() || !wa.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(invalid("whatsapp.name", format!("{:?}: Meta allows lowercase letters, digits and _", wa.name)));
    }
    if wa.language.trim().is_empty() {
        return Err(invalid("whatsapp.language", "empty".into()));
    }
    wa.parameters.iter().try_for_each(|p| known("whatsapp.parameters", p))?;
    let body = text("whatsapp.body", &wa.body)?;
    if body.variables().ne(wa.parameters.iter().map(String::as_str)) {
        return Err(invalid(
            "whatsapp.body",
            format!(
                "its placeholders ({}) are not the parameters in order ({})",
                body.variables().collect::<Vec<_>>().join(", "),
                wa.parameters.join(", ")
            ),
        ));
    }
    if matches!(body.0.first(), Some(Piece::Variable(_))) || matches!(body.0.last(), Some(Piece::Variable(_))) {
        return Err(invalid("whatsapp.body", "Meta refuses a body that starts or ends with a variable".into()));
    }
    let whatsapp = WhatsAppEntry {
        name: wa.name.clone(),
        language: wa.language.trim().to_owned(),
        body,
        parameters: wa.parameters.clone(),
    };

    let by_email = template.channels().contains(&Channel::Email);
    let email = match (&entry.email, by_email) {
        (Some(email), true) => {
            Some(EmailEntry { subject: text("email.subject", &email.subject)?, text: text("email.text", &email.text)? })
        }
        (None, true) => return Err(invalid("email", "missing: this message goes out by e-mail".into())),
        (Some(_), false) => return Err(invalid("email", "this message is never sent by e-mail; remove it".into())),
        (None, false) => None,
    };
    Ok(Entry { whatsapp, email })
}

/// A variable's value: `tautan…` joined to the portal's address, the rest as the outbox wrote.
fn values<'a>(
    template: Template,
    params: &'a Params,
    public_url: &'a str,
) -> impl Fn(&str) -> Result<String, String> + 'a {
    move |name: &str| {
        let value = params.get(name).ok_or_else(|| name.to_owned())?;
        debug_assert!(template.variables().contains(&name));
        Ok(if name.starts_with("tautan") { portal_link(public_url, value) } else { value.clone() })
    }
}

/// `PUBLIC_URL` + a portal path; an absolute address is kept as it is.
pub fn portal_link(public_url: &str, path: &str) -> String {
    if path.starts_with("https://") || path.starts_with("http://") {
        return path.to_owned();
    }
    let base = public_url.trim().trim_end_matches('/');
    let path = path.trim().trim_start_matches('/');
    if path.is_empty() { base.to_owned() } else { format!("{base}/{path}") }
}

/// The Cloud API refuses body parameters with line breaks, tabs, more than four spaces in a row
/// or no text: a reason typed over several lines becomes one line.
fn whatsapp_parameter(value: &str) -> String {
    let one_line = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() { "-".to_owned() } else { one_line }
}

/// A minimal HTML e-mail: no styles beyond the body's font, no images, no external resources.
fn html_page(subject: &str, text: &str) -> String {
    let mut html = String::from("<!DOCTYPE html>\n<html lang=\"id\">\n<head><meta charset=\"utf-8\"><title>");
    html.push_str(&escape(subject));
    html.push_str("</title></head>\n<body style=\"font-family: sans-serif; line-height: 1.5\">\n");
    let normalised = text.replace("\r\n", "\n");
    for paragraph in normalised.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        html.push_str("<p>");
        let lines: Vec<String> = paragraph.lines().map(linkify).collect();
        html.push_str(&lines.join("<br>\n"));
        html.push_str("</p>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}

/// Escapes a line and turns `http(s)://…` words into links (a final `.`, `,`, `)` or `;` stays
/// outside the link).
fn linkify(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = ["https://", "http://"].iter().filter_map(|s| rest.find(s)).min() {
        out.push_str(&escape(&rest[..start]));
        let after = &rest[start..];
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        let raw = after[..end].trim_end_matches(['.', ',', ')', ';', ':', '!', '?']);
        let url = escape(raw);
        let _ = write!(out, "<a href=\"{url}\">{url}</a>");
        rest = &after[raw.len()..];
    }
    out.push_str(&escape(rest));
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../../catalogue/notifications.toml");
    const PORTAL: &str = "https://layanan.example.go.id/";

    fn shipped() -> Templates {
        Templates::parse(SHIPPED).unwrap_or_else(|e| panic!("{e}"))
    }

    fn filled(template: Template) -> Params {
        template
            .variables()
            .iter()
            .map(|v| {
                let value = if v.starts_with("tautan") { "/beranda".to_owned() } else { format!("<{v}>") };
                ((*v).to_owned(), value)
            })
            .collect()
    }

    #[test]
    fn every_shipped_template_renders_with_its_variables() {
        let templates = shipped();
        for template in Template::ALL {
            let params = filled(template);
            let wa = templates.whatsapp(template, &params, PORTAL).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(wa.language, "id");
            assert!(!wa.body.contains('{'), "{template:?}: {}", wa.body);
            assert!(wa.body.starts_with("Halo <nama>"), "{template:?}: {}", wa.body);
            for p in &wa.parameters {
                assert!(!p.is_empty() && !p.contains('\n'));
            }
            if template.channels().contains(&Channel::Email) {
                let mail = templates.render(template, &params, PORTAL).unwrap_or_else(|e| panic!("{e}"));
                assert!(!mail.subject.contains('{') && !mail.text.contains('{'), "{template:?}");
                assert!(mail.text.contains("Halo <nama>,"), "{template:?}: {}", mail.text);
                assert!(mail.html.contains("&lt;nama&gt;"), "escaped: {}", mail.html);
                assert!(!mail.html.contains("<nama>"));
                if template.variables().contains(&"tautan") {
                    let link = "https://layanan.example.go.id/beranda";
                    assert!(mail.text.contains(link), "{template:?}: {}", mail.text);
                    assert!(mail.html.contains(&format!("<a href=\"{link}\">{link}</a>")), "{}", mail.html);
                }
            } else {
                assert!(templates.render(template, &params, PORTAL).is_err());
            }
        }
    }

    #[test]
    fn the_account_approved_message_reads_as_the_office_writes() {
        let params: Params = [("nama", "Siti Aminah"), ("nik", "6106••••••••0001"), ("tautan", "/masuk")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let wa = shipped()
            .whatsapp(Template::AccountApproved, &params, "https://dukcapil.example")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(wa.name, "akun_diverifikasi");
        assert_eq!(wa.parameters, ["Siti Aminah", "6106••••••••0001", "https://dukcapil.example/masuk"]);
        assert_eq!(
            wa.body,
            "Halo Siti Aminah, akun Layanan Online Dukcapil Kapuas Hulu Anda (NIK 6106••••••••0001) telah \
             diverifikasi. Silakan masuk di https://dukcapil.example/masuk dengan NIK dan kata sandi Anda."
        );
    }

    #[test]
    fn whatsapp_parameters_are_one_line_and_never_empty() {
        let mut params = filled(Template::AccountRejected);
        params.insert("alasan".into(), "Foto KTP\nburam\t  sekali".into());
        params.insert("nama".into(), "  ".into());
        let wa = shipped().whatsapp(Template::AccountRejected, &params, PORTAL).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(wa.parameters[0], "-");
        assert_eq!(wa.parameters[2], "Foto KTP buram sekali");
    }

    #[test]
    fn a_missing_value_is_an_error_not_a_blank() {
        let mut params = filled(Template::RequestCompleted);
        params.remove("nomor");
        let err = shipped().render(Template::RequestCompleted, &params, PORTAL);
        assert_eq!(err, Err(TemplateError::Unfilled { template: "request_completed", variable: "nomor".into() }));
        assert!(shipped().whatsapp(Template::RequestCompleted, &params, PORTAL).is_err());
    }

    #[test]
    fn links_join_the_public_url_once() {
        assert_eq!(portal_link("https://a.id/", "/masuk"), "https://a.id/masuk");
        assert_eq!(portal_link(" https://a.id ", "masuk"), "https://a.id/masuk");
        assert_eq!(portal_link("https://a.id/", ""), "https://a.id");
        assert_eq!(portal_link("https://a.id", "https://b.id/x"), "https://b.id/x");
    }

    #[test]
    fn html_is_escaped_in_paragraphs_with_links() {
        let html = html_page("A & B", "Halo <b>,\n\nBuka https://a.id/x?y=1&z=2. Lalu\nselesai.");
        assert!(html.contains("<title>A &amp; B</title>"));
        assert!(html.contains("<p>Halo &lt;b&gt;,</p>"), "{html}");
        assert!(
            html.contains(
                "<p>Buka <a href=\"https://a.id/x?y=1&amp;z=2\">https://a.id/x?y=1&amp;z=2</a>. Lalu<br>\nselesai.</p>"
            ),
            "{html}"
        );
        assert!(!html.contains("src=") && !html.contains("<link") && !html.contains("<script"));
    }

    fn replaced(from: &str, to: &str) -> String {
        assert!(SHIPPED.contains(from), "{from}");
        SHIPPED.replacen(from, to, 1)
    }

    #[test]
    fn broken_files_are_refused_at_start_up() {
        let start = SHIPPED.find("[reset_code.whatsapp]").unwrap_or_default();
        let end = start + SHIPPED[start..].find("# -----").unwrap_or_default();
        let missing = format!("{}{}", &SHIPPED[..start], &SHIPPED[end..]);
        assert!(matches!(Templates::parse("not = [toml"), Err(TemplateError::Malformed(_))));
        assert_eq!(Templates::parse(&missing).err(), Some(TemplateError::Missing("reset_code")));

        let unknown = format!(
            "{SHIPPED}\n[account_closed.whatsapp]\nname = \"x\"\nlanguage = \"id\"\nbody = \"a\"\nparameters = []\n"
        );
        assert_eq!(Templates::parse(&unknown).err(), Some(TemplateError::UnknownTemplate("account_closed".into())));

        let typo = replaced("Halo {nama},\n\nAkun", "Halo {nmaa},\n\nAkun");
        assert!(
            matches!(Templates::parse(&typo), Err(TemplateError::UnknownVariable { template: "account_approved", part: "email.text", ref variable, .. }) if variable == "nmaa")
        );

        let foreign = replaced("Pengajuan {nomor} telah selesai", "Pengajuan {nomor} ({kode}) telah selesai");
        assert!(matches!(
            Templates::parse(&foreign),
            Err(TemplateError::UnknownVariable { part: "email.subject", .. })
        ));

        let parameter =
            replaced("parameters = [\"nama\", \"nik\", \"tautan\"]", "parameters = [\"nama\", \"nik\", \"link\"]");
        assert!(matches!(
            Templates::parse(&parameter),
            Err(TemplateError::UnknownVariable { part: "whatsapp.parameters", .. })
        ));

        let order =
            replaced("parameters = [\"nama\", \"nik\", \"tautan\"]", "parameters = [\"nik\", \"nama\", \"tautan\"]");
        assert!(matches!(Templates::parse(&order), Err(TemplateError::Invalid { part: "whatsapp.body", .. })));

        let brace = replaced("Halo {nama},\n\nAkun", "Halo {nama,\n\nAkun");
        assert!(matches!(Templates::parse(&brace), Err(TemplateError::Invalid { part: "email.text", .. })));

        let ends = replaced("Silakan masuk di {tautan} dengan NIK dan kata sandi Anda.\"", "Silakan masuk: {tautan}\"");
        assert!(
            matches!(Templates::parse(&ends), Err(TemplateError::Invalid { part: "whatsapp.body", ref problem, .. }) if problem.contains("ends"))
        );

        let reset_mail = format!("{SHIPPED}\n[reset_code.email]\nsubject = \"Kode\"\ntext = \"{{kode}}\"\n");
        assert!(matches!(
            Templates::parse(&reset_mail),
            Err(TemplateError::Invalid { template: "reset_code", part: "email", .. })
        ));

        let extra = replaced("name = \"akun_diverifikasi\"", "name = \"akun_diverifikasi\"\ncategory = \"UTILITY\"");
        assert!(matches!(Templates::parse(&extra), Err(TemplateError::Malformed(_))));
    }

    #[test]
    fn literal_braces_are_written_doubled() {
        let text = Text::parse("a {{b}} {c}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(text.0, [Piece::Literal("a {b} ".into()), Piece::Variable("c".into())]);
    }
}
