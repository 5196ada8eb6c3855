//! Recovery codes: the way in when the authenticator app is lost. Ten per account, each
//! usable once, shown to the user once and stored only as hashes.
//!
//! A code is 16 characters of Crockford's base32 (80 random bits), written in four groups:
//! `7k2m-9xq4-ht0c-wv3e`. Typed back, dashes, spaces and case do not matter, and the letters
//! people confuse with digits (`o`, `i`, `l`) read as those digits.
//!
//! Stored as SHA-256 of the code and its user id. A slow password hash would add nothing: a
//! leaked hash of 80 random bits cannot be guessed back at any hashing speed, whereas a
//! password can. Not keyed with `NEOFORGE_SECRET` either, on purpose: should that secret ever
//! change, the sealed authenticator secrets no longer open, and these codes are what still
//! lets their owners in.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How many codes an account gets at a time.
pub const COUNT: usize = 10;
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const LENGTH: usize = 16;
const GROUP: usize = 4;
/// Longest text that may be a code once spaces and dashes are removed; anything longer is
/// refused before it is hashed.
pub const MAX_INPUT_LEN: usize = 64;

/// `COUNT` new codes, as the user is shown them.
pub fn generate() -> Vec<String> {
    (0..COUNT).map(|_| generate_one()).collect()
}

fn generate_one() -> String {
    let random: [u8; LENGTH] = rand::random();
    let mut code = String::with_capacity(LENGTH + LENGTH / GROUP);
    for (index, byte) in random.iter().enumerate() {
        if index > 0 && index % GROUP == 0 {
            code.push('-');
        }
        code.push(char::from(ALPHABET[usize::from(byte % 32)]));
    }
    code
}

/// The code as stored: without separators, lower-case, with look-alike letters read as the
/// digits they resemble. `None` when it cannot be a recovery code.
pub fn normalise(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            c => c,
        })
        .collect();
    let valid = code.len() == LENGTH && code.bytes().all(|byte| ALPHABET.contains(&byte));
    valid.then_some(code)
}

/// What the database keeps of a (normalised) code of `user_id`.
pub fn hash(user_id: Uuid, normalised: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"neoforge recovery code v1\0")
        .chain_update(user_id.as_bytes())
        .chain_update(normalised.as_bytes())
        .finalize();
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn ten_distinct_codes_in_four_groups() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), COUNT);
        for code in &codes {
            assert_eq!(code.len(), 19, "{code}");
            assert_eq!(code.split('-').count(), 4, "{code}");
            assert!(normalise(code).is_some(), "{code}");
        }
    }

    #[test]
    fn typed_codes_forgive_case_separators_and_look_alikes() {
        let stored = normalise("7k2m-9xq4-ht0c-wv3e").unwrap();
        assert_eq!(stored, "7k2m9xq4ht0cwv3e");
        for typed in [
            "7K2M-9XQ4-HT0C-WV3E",
            "7k2m 9xq4 ht0c wv3e",
            " 7k2m9xq4htOcwv3e ",
            "7k2m-9xq4-\tht0c-wv3e",
        ] {
            assert_eq!(
                normalise(typed).as_deref(),
                Some(stored.as_str()),
                "{typed:?}"
            );
        }
        assert_eq!(
            normalise("1111-2222-3333-444l").unwrap(),
            "1111222233334441"
        );
        for bad in [
            "",
            "123456",
            "7k2m-9xq4-ht0c-wv3",
            "7k2m-9xq4-ht0c-wv3eu",
            "ükm2",
        ] {
            assert!(normalise(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn hashes_differ_per_user() {
        let code = normalise("7k2m-9xq4-ht0c-wv3e").unwrap();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(hash(a, &code), hash(a, &code));
        assert_ne!(hash(a, &code), hash(b, &code));
        assert_eq!(hash(a, &code).len(), 64);
    }

    proptest! {
        #[test]
        fn every_generated_code_survives_any_typing(upper in any::<bool>(), spaced in any::<bool>()) {
            let code = generate_one();
            let mut typed = if upper { code.to_uppercase() } else { code.clone() };
            if spaced {
                typed = typed.replace('-', " ");
            }
            prop_assert_eq!(normalise(&typed), normalise(&code));
        }
    }
}
