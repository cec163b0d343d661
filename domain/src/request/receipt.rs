//! The code printed on a submission's receipt ("Bukti Pengajuan"), which anyone holding the
//! paper can check at `/verifikasi/<code>`.
//!
//! 80 random bits: not the request id (that would let a verifier act on the stream's other
//! links) and not derived from the NIK, so a receipt says nothing about its holder beyond what
//! the verification page shows. Written in Crockford's base32 (no I, L, O, U), grouped by
//! four for reading aloud; parsing forgives case, dashes, spaces and the look-alikes.

use std::fmt;

use serde::{Deserialize, Serialize};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const LEN: usize = 16;

/// A receipt's verification code.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReceiptCode(String);

impl ReceiptCode {
    /// The code of 10 random bytes (the caller draws them: the domain has no randomness).
    pub fn from_random(bytes: [u8; 10]) -> Self {
        let mut bits: u128 = 0;
        for byte in bytes {
            bits = (bits << 8) | u128::from(byte);
        }
        let code = (0..LEN).rev().map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char).collect();
        Self(code)
    }

    /// Reads a code as a person may type it; `None` for anything that is not one.
    pub fn parse(raw: &str) -> Option<Self> {
        let mut code = String::with_capacity(LEN);
        for c in raw.chars().filter(|c| !matches!(c, '-' | ' ')) {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || code.len() == LEN {
                return None;
            }
            code.push(c);
        }
        (code.len() == LEN).then_some(Self(code))
    }

    /// The sixteen characters, as stored and looked up.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `ABCD-EFGH-JKMN-PQRS`, as printed.
impl fmt::Display for ReceiptCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, chunk) in self.0.as_bytes().chunks(4).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            f.write_str(std::str::from_utf8(chunk).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

/// Not the whole code: it is a bearer of the verification answer.
impl fmt::Debug for ReceiptCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReceiptCode({}…)", &self.0[..4.min(self.0.len())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bytes_make_sixteen_characters_that_parse_back_however_typed() {
        let code = ReceiptCode::from_random([0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab]);
        assert_eq!(code.as_str().len(), 16);
        let printed = code.to_string();
        assert_eq!(printed.len(), 19);
        assert_eq!(ReceiptCode::parse(&printed), Some(code.clone()));
        assert_eq!(ReceiptCode::parse(&printed.to_lowercase().replace('-', " ")), Some(code));
        assert_eq!(ReceiptCode::from_random([0; 10]).as_str(), "0000000000000000");
        assert_eq!(ReceiptCode::from_random([0xff; 10]).as_str(), "ZZZZZZZZZZZZZZZZ");
    }

    #[test]
    fn look_alikes_are_forgiven_and_garbage_is_refused() {
        assert_eq!(ReceiptCode::parse("oooo-iiii-llll-0000").map(|c| c.0), Some("0000111111110000".into()));
        for bad in
            ["", "ABCD", "ABCD-EFGH-JKMN-PQRSX", "ABCD-EFGH-JKMN-PQRU", "ÄBCD-EFGH-JKMN-PQRS", "../../etc/passwd"]
        {
            assert_eq!(ReceiptCode::parse(bad), None, "{bad}");
        }
    }
}
