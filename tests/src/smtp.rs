//! A real SMTP server for tests, on 127.0.0.1 and a free port: it speaks enough of RFC 5321
//! (EHLO/HELO, MAIL FROM, RCPT TO, DATA with dot-unstuffing, RSET, NOOP, QUIT) for `lettre`,
//! records every mail it accepts, and can be told to fail: `451` to the next messages (a
//! transient refusal, e.g. greylisting) or `550` for an address (a permanent one).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::bail;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// One accepted mail.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The message as sent after `DATA`, dot-unstuffed, CRLF line ends.
    pub data: String,
}

impl ReceivedMail {
    /// A header's value (first occurrence, folded lines joined), by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<String> {
        header_in(self.head(), name)
    }

    /// The `Message-ID` header.
    pub fn message_id(&self) -> Option<String> {
        self.header("Message-ID")
    }

    /// The `Subject`, RFC 2047 encoded words decoded.
    pub fn subject(&self) -> Option<String> {
        self.header("Subject").map(|s| decode_words(&s))
    }

    fn head(&self) -> &str {
        self.data.split_once("\r\n\r\n").map_or(self.data.as_str(), |(head, _)| head)
    }

    /// The decoded parts of a multipart message as (content type, text), or the single body.
    pub fn parts(&self) -> Vec<(String, String)> {
        part_list(&self.data)
    }

    /// The decoded text of the first part whose content type starts with `mime` (`text/plain`).
    pub fn part(&self, mime: &str) -> Option<String> {
        self.parts().into_iter().find(|(t, _)| t.starts_with(mime)).map(|(_, body)| body)
    }
}

#[derive(Default)]
struct State {
    mails: Mutex<Vec<ReceivedMail>>,
    arrived: Notify,
    temporary_failures: AtomicU32,
    refused: Mutex<HashSet<String>>,
    attempts: AtomicU32,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The running server; stops when dropped.
pub struct SmtpPeer {
    address: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpPeer {
    /// Listens on 127.0.0.1 and a free port.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let state = Arc::new(State::default());
        let serving = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = serving.clone();
                tokio::spawn(async move {
                    let _ = session(stream, &state).await;
                });
            }
        });
        Ok(Self { address, state, task })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `smtp://127.0.0.1:<port>` (no TLS, no authentication), the form `SMTP_URL` takes.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    /// The next `n` messages get `451` after their data (and are not recorded).
    pub fn fail_next(&self, n: u32) {
        self.state.temporary_failures.store(n, Ordering::SeqCst);
    }

    /// `RCPT TO` this address gets `550` from now on.
    pub fn refuse(&self, address: &str) {
        lock(&self.state.refused).insert(address.to_ascii_lowercase());
    }

    /// Messages whose data was sent to completion, accepted or answered `451`.
    pub fn attempts(&self) -> u32 {
        self.state.attempts.load(Ordering::SeqCst)
    }

    /// The mails accepted so far.
    pub fn mails(&self) -> Vec<ReceivedMail> {
        lock(&self.state.mails).clone()
    }

    /// Waits until at least `n` mails were accepted, and returns all of them.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> anyhow::Result<Vec<ReceivedMail>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.state.arrived.notified();
            let mails = self.mails();
            if mails.len() >= n {
                return Ok(mails);
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                bail!("{} of {n} mails arrived within {timeout:?}", mails.len());
            }
        }
    }
}

impl Drop for SmtpPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Lines longer than this end the session (RFC 5321 allows 1000 with CRLF).
const MAX_LINE: usize = 10_000;

async fn session(stream: TcpStream, state: &State) -> anyhow::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 peer.test ESMTP test peer\r\n").await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 || line.len() > MAX_LINE {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            "250-peer.test greets you\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".into()
        } else if upper.starts_with("HELO") {
            "250 peer.test\r\n".into()
        } else if let Some(rest) = strip_prefix_ci(&command, "MAIL FROM:") {
            from = Some(path_of(rest));
            to.clear();
            "250 2.1.0 OK\r\n".into()
        } else if let Some(rest) = strip_prefix_ci(&command, "RCPT TO:") {
            let address = path_of(rest);
            if from.is_none() {
                "503 5.5.1 MAIL first\r\n".into()
            } else if lock(&state.refused).contains(&address.to_ascii_lowercase()) {
                format!("550 5.1.1 <{address}>: mailbox unavailable\r\n")
            } else {
                to.push(address);
                "250 2.1.5 OK\r\n".into()
            }
        } else if upper == "DATA" {
            match (&from, to.is_empty()) {
                (Some(sender), false) => {
                    write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                    let Some(data) = read_data(&mut read).await? else { return Ok(()) };
                    state.attempts.fetch_add(1, Ordering::SeqCst);
                    let failing = state
                        .temporary_failures
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    let reply = if failing {
                        "451 4.3.0 Temporary failure, try again later\r\n".to_owned()
                    } else {
                        let mail = ReceivedMail { from: sender.clone(), to: std::mem::take(&mut to), data };
                        lock(&state.mails).push(mail);
                        state.arrived.notify_waiters();
                        "250 2.0.0 OK queued\r\n".to_owned()
                    };
                    from = None;
                    to.clear();
                    reply
                }
                _ => "503 5.5.1 MAIL and RCPT first\r\n".into(),
            }
        } else if upper == "RSET" {
            from = None;
            to.clear();
            "250 2.0.0 OK\r\n".into()
        } else if upper.starts_with("NOOP") {
            "250 2.0.0 OK\r\n".into()
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(());
        } else {
            "502 5.5.2 Command not implemented\r\n".into()
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// The message after `DATA`, up to the lone `.`, with leading dots unstuffed; `None` when the
/// client hung up first.
async fn read_data(read: &mut (impl AsyncBufReadExt + Unpin)) -> anyhow::Result<Option<String>> {
    let mut data = String::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line);
        let content = text.trim_end_matches(['\r', '\n']);
        if content == "." {
            return Ok(Some(data));
        }
        data.push_str(content.strip_prefix('.').unwrap_or(content));
        data.push_str("\r\n");
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

/// `a@b` from ` <a@b> SIZE=123`.
fn path_of(rest: &str) -> String {
    let rest = rest.trim();
    match (rest.find('<'), rest.find('>')) {
        (Some(start), Some(end)) if start < end => rest[start + 1..end].to_owned(),
        _ => rest.split_whitespace().next().unwrap_or_default().to_owned(),
    }
}

fn header_in(head: &str, name: &str) -> Option<String> {
    let mut value: Option<String> = None;
    for line in head.split("\r\n") {
        if let Some(v) = value.as_mut() {
            if line.starts_with([' ', '\t']) {
                v.push(' ');
                v.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((n, v)) = line.split_once(':')
            && n.trim().eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_owned());
        }
    }
    value
}

/// Splits a (possibly multipart) message into decoded (content type, text) parts.
fn part_list(entity: &str) -> Vec<(String, String)> {
    let (head, body) = entity.split_once("\r\n\r\n").unwrap_or((entity, ""));
    let content_type = header_in(head, "Content-Type").unwrap_or_else(|| "text/plain".into());
    if content_type.to_ascii_lowercase().starts_with("multipart/") {
        let Some(boundary) = parameter(&content_type, "boundary") else { return Vec::new() };
        let delimiter = format!("--{boundary}");
        return body
            .split(delimiter.as_str())
            .skip(1)
            .take_while(|part| !part.starts_with("--"))
            .flat_map(|part| part_list(part.trim_start_matches("\r\n")))
            .collect();
    }
    let encoding = header_in(head, "Content-Transfer-Encoding").unwrap_or_default().to_ascii_lowercase();
    let text = match encoding.as_str() {
        "base64" => {
            use base64::Engine as _;
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD.decode(compact).unwrap_or_default();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        "quoted-printable" => quoted_printable(body),
        _ => body.to_owned(),
    };
    let mime = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    vec![(mime, text.trim_end_matches("\r\n").to_owned())]
}

/// Decodes `=?utf-8?b?…?=` / `=?utf-8?q?…?=` words; whitespace between two encoded words goes.
fn decode_words(value: &str) -> String {
    use base64::Engine as _;
    let mut out = String::new();
    let mut previous_encoded = false;
    for word in value.split(' ') {
        let decoded = word.strip_prefix("=?").and_then(|w| w.strip_suffix("?=")).and_then(|w| {
            let mut pieces = w.splitn(3, '?');
            let (_charset, encoding, text) = (pieces.next()?, pieces.next()?, pieces.next()?);
            match encoding.to_ascii_lowercase().as_str() {
                "b" => base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).into_owned()),
                "q" => Some(quoted_printable(&text.replace('_', " "))),
                _ => None,
            }
        });
        match decoded {
            Some(text) => {
                if !previous_encoded && !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&text);
                previous_encoded = true;
            }
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
                previous_encoded = false;
            }
        }
    }
    out
}

fn parameter(header: &str, name: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn quoted_printable(body: &str) -> String {
    let mut bytes = Vec::with_capacity(body.len());
    let raw = body.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'=' if raw.get(i + 1..i + 3) == Some(b"\r\n") => i += 3,
            b'=' if raw.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' => {
                let hex = raw.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        bytes.push(b);
                        i += 3;
                    }
                    None => {
                        bytes.push(b'=');
                        i += 1;
                    }
                }
            }
            b => {
                bytes.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
