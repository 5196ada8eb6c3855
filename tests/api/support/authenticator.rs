//! A software passkey authenticator and the browser around it: it answers the server's
//! WebAuthn options with what `navigator.credentials.create()` / `get()` followed by
//! `PublicKeyCredential.toJSON()` would give, signing with P-256 keys of its own. No
//! attestation (`fmt: "none"`), discoverable credentials that return their user handle, a
//! signature counter per credential. Its fields are public so a test can misbehave on purpose
//! (another origin, no user verification, a counter rewound).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One discoverable credential.
#[derive(Clone)]
pub struct Credential {
    pub id: Vec<u8>,
    pub rp_id: String,
    /// The user handle the server gave it (base64url, as the options carry it).
    pub user_handle: String,
    key: SigningKey,
    pub counter: u32,
}

#[derive(Clone)]
pub struct Authenticator {
    /// The origin the "browser" puts in `clientDataJSON`.
    pub origin: String,
    /// Whether it verifies its user (the UV flag).
    pub user_verified: bool,
    pub credentials: Vec<Credential>,
    /// The id of the next credential it makes (a random one when `None`).
    pub next_id: Option<Vec<u8>>,
}

impl Authenticator {
    /// An authenticator in a browser on the tests' public URL.
    pub fn new() -> Self {
        Self {
            origin: "http://localhost:8000".to_owned(),
            user_verified: true,
            credentials: Vec::new(),
            next_id: None,
        }
    }

    /// `navigator.credentials.create({publicKey: options})`: a new credential, as JSON.
    pub fn create(&mut self, options: &Value) -> Value {
        let rp_id = options["rp"]["id"]
            .as_str()
            .expect("options name the relying party");
        let challenge = options["challenge"]
            .as_str()
            .expect("options carry a challenge");
        let user_handle = options["user"]["id"]
            .as_str()
            .expect("options carry the user id");
        let id = self
            .next_id
            .take()
            .unwrap_or_else(|| rand::random::<[u8; 16]>().to_vec());
        let credential = Credential {
            id,
            rp_id: rp_id.to_owned(),
            user_handle: user_handle.to_owned(),
            key: SigningKey::from_slice(&rand::random::<[u8; 32]>()).expect("a P-256 scalar"),
            counter: 0,
        };
        let client_data = self.client_data("webauthn.create", challenge);
        let mut auth_data = self.auth_data(rp_id, 0x40, 0);
        auth_data.extend_from_slice(&[0; 16]); // AAGUID
        auth_data.extend_from_slice(&(credential.id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&credential.id);
        auth_data.extend_from_slice(&cose_key(&credential.key));
        let mut attestation = Vec::new();
        cbor_header(&mut attestation, 5, 3);
        cbor_text(&mut attestation, "fmt");
        cbor_text(&mut attestation, "none");
        cbor_text(&mut attestation, "attStmt");
        cbor_header(&mut attestation, 5, 0);
        cbor_text(&mut attestation, "authData");
        cbor_bytes(&mut attestation, &auth_data);
        let response = json!({
            "id": b64(&credential.id),
            "rawId": b64(&credential.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64(&client_data),
                "attestationObject": b64(&attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {"credProps": {"rk": true}},
        });
        self.credentials.push(credential);
        response
    }

    /// `navigator.credentials.get({publicKey: options})` with the newest credential for the
    /// options' relying party.
    pub fn get(&mut self, options: &Value) -> Value {
        let rp_id = options["rpId"]
            .as_str()
            .expect("options name the relying party");
        let index = self
            .credentials
            .iter()
            .rposition(|credential| credential.rp_id == rp_id)
            .expect("a credential for this relying party");
        self.get_with(options, index)
    }

    /// `navigator.credentials.get()` with the credential at `index`.
    pub fn get_with(&mut self, options: &Value, index: usize) -> Value {
        let challenge = options["challenge"]
            .as_str()
            .expect("options carry a challenge");
        let client_data = self.client_data("webauthn.get", challenge);
        let credential = &mut self.credentials[index];
        credential.counter += 1;
        let (rp_id, counter) = (credential.rp_id.clone(), credential.counter);
        let auth_data = self.auth_data(&rp_id, 0, counter);
        let credential = &self.credentials[index];
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: Signature = credential.key.sign(&signed);
        json!({
            "id": b64(&credential.id),
            "rawId": b64(&credential.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": credential.user_handle,
            },
            "clientExtensionResults": {},
        })
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    /// RP id hash, flags (user present, maybe verified, plus `extra`), signature counter.
    fn auth_data(&self, rp_id: &str, extra: u8, counter: u32) -> Vec<u8> {
        let verified = if self.user_verified { 0x04 } else { 0 };
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        data.push(0x01 | verified | extra);
        data.extend_from_slice(&counter.to_be_bytes());
        data
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The public key as a COSE_Key: EC2, ES256, P-256, x and y.
fn cose_key(key: &SigningKey) -> Vec<u8> {
    let point = key.verifying_key().to_encoded_point(false);
    let mut out = Vec::new();
    cbor_header(&mut out, 5, 5);
    cbor_int(&mut out, 1); // kty
    cbor_int(&mut out, 2); // EC2
    cbor_int(&mut out, 3); // alg
    cbor_int(&mut out, -7); // ES256
    cbor_int(&mut out, -1); // crv
    cbor_int(&mut out, 1); // P-256
    cbor_int(&mut out, -2); // x
    cbor_bytes(&mut out, point.x().expect("an uncompressed point"));
    cbor_int(&mut out, -3); // y
    cbor_bytes(&mut out, point.y().expect("an uncompressed point"));
    out
}

/// A CBOR item head: major type and length (or value), in the shortest form.
fn cbor_header(out: &mut Vec<u8>, major: u8, value: u64) {
    let major = major << 5;
    match value {
        0..=23 => out.push(major | value as u8),
        24..=0xff => out.extend_from_slice(&[major | 24, value as u8]),
        0x100..=0xffff => {
            out.push(major | 25);
            out.extend_from_slice(&(value as u16).to_be_bytes());
        }
        _ => {
            out.push(major | 26);
            out.extend_from_slice(&(value as u32).to_be_bytes());
        }
    }
}

fn cbor_int(out: &mut Vec<u8>, value: i64) {
    if value >= 0 {
        cbor_header(out, 0, value as u64);
    } else {
        cbor_header(out, 1, (-1 - value) as u64);
    }
}

fn cbor_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    cbor_header(out, 2, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn cbor_text(out: &mut Vec<u8>, text: &str) {
    cbor_header(out, 3, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}
