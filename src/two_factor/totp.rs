//! The authenticator app's shared secret: made, sealed for storage, shown as an `otpauth://`
//! URI and a QR code, and checked against the codes the app shows (RFC 6238: HMAC-SHA-1,
//! 6 digits, 30-second steps, one step of clock skew either way).
//!
//! The secret is stored encrypted with XChaCha20-Poly1305 under a key derived from
//! `NEOFORGE_SECRET`, with the user id as associated data: a copy of the database alone
//! (a backup, a replica's disk) does not give anyone the codes, and a sealed secret moved to
//! another account's row does not open. A hash would not do: the server needs the secret
//! itself to compute the codes. The random 192-bit nonce needs no counter to stay unique.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret, Totp};
use uuid::Uuid;

use crate::config::Settings;

/// The name authenticator apps show next to the account.
pub const ISSUER: &str = "NeoForge";
/// 160 bits, the length RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
const NONCE_BYTES: usize = 24;
/// The format of a sealed secret, so a later change of algorithm can tell old rows apart.
const SEALED_PREFIX: &str = "v1.";

/// A TOTP shared secret in the clear. Never printed; wiped when dropped.
pub struct TotpSecret(SecretBox<[u8; SECRET_BYTES]>);

impl TotpSecret {
    /// A new random secret.
    pub fn generate() -> Self {
        Self(SecretBox::new(Box::new(rand::random())))
    }

    /// The secret in base32 (RFC 4648, no padding), as people type it into an app.
    pub fn base32(&self) -> SecretString {
        self.totp(None)
            .secret()
            .to_base32()
            .trim_end_matches('=')
            .to_owned()
            .into()
    }

    /// `otpauth://totp/NeoForge:<account>?secret=…&issuer=NeoForge`, what the QR code holds.
    pub fn otpauth_uri(&self, account: &str) -> SecretString {
        self.totp(Some(account))
            .to_url()
            .expect("the label has no colon and the secret a valid length")
            .into()
    }

    /// The time step (`unix seconds / 30`) whose code `code` is, within one step of `now`;
    /// `None` when it is no such code.
    pub fn check(&self, code: &str, now_secs: u64) -> Option<u64> {
        self.totp(None).check(code, now_secs)
    }

    fn totp(&self, account: Option<&str>) -> Totp {
        let builder = Builder::new()
            .with_secret(Secret::new_stack(*self.0.expose_secret()))
            .with_digits(6)
            .with_step_duration(30)
            .with_skew(1);
        let builder = match account {
            // The Key URI format separates issuer and account with a colon: none may appear
            // in either (an email's local part may hold one).
            Some(account) => builder
                .with_account_name(account.replace(':', ""))
                .with_issuer(Some(ISSUER)),
            None => builder,
        };
        builder
            .build()
            .expect("SHA-1, 6 digits, a 160-bit secret and 30 s steps are valid")
    }
}

/// Seals secrets for storage and opens them again.
pub struct SecretSeal {
    cipher: XChaCha20Poly1305,
}

impl SecretSeal {
    pub fn new(settings: &Settings) -> Self {
        // A key of its own, derived from the master secret, as the access-token key is: no
        // other use of the secret can produce it.
        let key: [u8; 32] = Sha256::new()
            .chain_update(b"neoforge totp secret v1\0")
            .chain_update(settings.secret.expose_secret().as_bytes())
            .finalize()
            .into();
        Self {
            cipher: XChaCha20Poly1305::new(&Key::from(key)),
        }
    }

    /// The secret of `user_id`, encrypted: `v1.` and base64 of nonce and ciphertext.
    pub fn seal(&self, user_id: Uuid, secret: &TotpSecret) -> String {
        let nonce: [u8; NONCE_BYTES] = rand::random();
        let payload = Payload {
            msg: secret.0.expose_secret(),
            aad: user_id.as_bytes(),
        };
        let sealed = self
            .cipher
            .encrypt(&XNonce::from(nonce), payload)
            .expect("encrypting a 20-byte message cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The secret sealed for `user_id`; `None` when it was sealed under another key (the
    /// server's secret changed) or for another user, or the text is damaged.
    pub fn open(&self, user_id: Uuid, stored: &str) -> Option<TotpSecret> {
        let bytes = URL_SAFE_NO_PAD
            .decode(stored.strip_prefix(SEALED_PREFIX)?)
            .ok()?;
        if bytes.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().ok()?;
        let payload = Payload {
            msg: sealed,
            aad: user_id.as_bytes(),
        };
        let opened = self.cipher.decrypt(&XNonce::from(nonce), payload).ok()?;
        let secret: [u8; SECRET_BYTES] = opened.as_slice().try_into().ok()?;
        Some(TotpSecret(SecretBox::new(Box::new(secret))))
    }
}

/// A QR code of `text` as an SVG document, drawn here: the secret it carries never goes to
/// another service.
pub fn qr_svg(text: &str) -> String {
    qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .expect("an otpauth URI fits in a QR code")
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal() -> SecretSeal {
        let mut cli = <crate::cli::Cli as clap::Parser>::try_parse_from(["neoforge"]).unwrap();
        cli.config.secret = Some("s".repeat(32).into());
        SecretSeal::new(&cli.config.into_settings().unwrap())
    }

    #[test]
    fn codes_follow_rfc_6238_with_one_step_of_skew() {
        // RFC 6238 appendix B: the SHA-1 secret "12345678901234567890" at T = 59 s gives
        // 94287082; its last six digits are the 6-digit code.
        let secret = TotpSecret(SecretBox::new(Box::new(*b"12345678901234567890")));
        assert_eq!(secret.check("287082", 59), Some(1));
        assert_eq!(secret.check("287082", 59 + 30), Some(1), "one step late");
        assert_eq!(secret.check("287082", 59 + 60), None, "two steps late");
        assert_eq!(secret.check("28708", 59), None);
        assert_eq!(secret.check("+87082", 59), None);
        assert_eq!(
            secret.base32().expose_secret(),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }

    #[test]
    fn the_uri_names_the_issuer_and_account() {
        let secret = TotpSecret::generate();
        let uri = secret.otpauth_uri("ada:x@example.com");
        let uri = uri.expose_secret();
        assert!(
            uri.starts_with("otpauth://totp/NeoForge:adax%40example.com?secret="),
            "{uri}"
        );
        assert!(uri.contains(secret.base32().expose_secret()));
        assert!(uri.ends_with("&issuer=NeoForge"), "{uri}");
        let svg = qr_svg(uri);
        assert!(svg.contains("<svg") && svg.contains("<path"));
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_user_and_key() {
        let seal = seal();
        let (user, other) = (Uuid::now_v7(), Uuid::now_v7());
        let secret = TotpSecret::generate();
        let sealed = seal.seal(user, &secret);
        assert!(!sealed.contains(secret.base32().expose_secret()));
        let opened = seal.open(user, &sealed).unwrap();
        assert_eq!(
            opened.base32().expose_secret(),
            secret.base32().expose_secret()
        );
        assert!(seal.open(other, &sealed).is_none());
        assert_ne!(sealed, seal.seal(user, &secret), "a fresh nonce each time");
        let mut damaged = sealed.clone();
        damaged.push('A');
        assert!(seal.open(user, &damaged).is_none());
        assert!(seal.open(user, "v1.").is_none());
        assert!(seal.open(user, "plain").is_none());
    }
}
