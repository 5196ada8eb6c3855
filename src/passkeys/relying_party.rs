//! The WebAuthn relying party: the `webauthn-rs` ceremonies with this server's id, origins and
//! timeout, and the one place that knows the crate's types of options, state and results.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use uuid::Uuid;
use webauthn_rs::prelude::{
    AuthenticationResult, CreationChallengeResponse, DiscoverableAuthentication, Passkey,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, WebauthnError,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};
use webauthn_rs_proto::{AuthenticatorSelectionCriteria, ResidentKeyRequirement};

use crate::config::PasskeySettings;
use crate::users::model::User;

/// What the browser shows as the site's name while it makes a passkey.
const RP_NAME: &str = "NeoForge";

/// Passkeys as this server makes and checks them; cheap to clone.
#[derive(Clone)]
pub struct RelyingParty {
    webauthn: Arc<Webauthn>,
    timeout: Duration,
}

/// Why an assertion was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssertionRefused {
    /// Its signature counter did not move forward: the key may have been copied. The crate
    /// refuses it, as WebAuthn §7.2 step 21 allows; the audit log names it.
    PossibleClone,
    /// Anything else: wrong challenge, origin or relying party, no user verification, a bad
    /// signature.
    Invalid,
}

impl RelyingParty {
    /// `None` when passkeys are off (see [`PasskeySettings`]).
    pub fn from_settings(settings: &PasskeySettings) -> anyhow::Result<Option<Self>> {
        let Some(party) = &settings.relying_party else {
            tracing::warn!(
                "passkeys are off: NEOFORGE_PUBLIC_URL's host is not a domain name; set \
                 NEOFORGE_WEBAUTHN_RP_ID to turn them on"
            );
            return Ok(None);
        };
        let (first, others) = party
            .origins
            .split_first()
            .ok_or_else(|| anyhow::anyhow!("passkeys need at least one origin"))?;
        let mut builder = WebauthnBuilder::new(&party.id, first)
            .map_err(|err| anyhow::anyhow!("passkeys: {err}"))?
            .rp_name(RP_NAME)
            .timeout(settings.timeout);
        for origin in others {
            builder = builder.append_allowed_origin(origin);
        }
        let webauthn = builder
            .build()
            .map_err(|err| anyhow::anyhow!("passkeys: {err}"))?;
        Ok(Some(Self {
            webauthn: Arc::new(webauthn),
            timeout: settings.timeout,
        }))
    }

    /// How long a ceremony may take; its state is kept this long.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Options for `navigator.credentials.create()` (their JSON form) and the state to keep.
    /// The passkey is made discoverable (a resident key), so it can sign in without an email
    /// address, and must verify its user (PIN, biometrics): it counts as both factors.
    pub fn start_registration(
        &self,
        user: &User,
        exclude: Vec<Vec<u8>>,
    ) -> Result<(Value, PasskeyRegistration), WebauthnError> {
        let display_name = user.name.as_deref().unwrap_or(&user.email);
        let exclude = (!exclude.is_empty()).then_some(exclude);
        let (mut options, registration): (CreationChallengeResponse, _) = self
            .webauthn
            .start_passkey_registration(user.id, &user.email, display_name, exclude)?;
        // The crate's passkeys are not discoverable by default; sign-in here is usernameless.
        let selection = options
            .public_key
            .authenticator_selection
            .get_or_insert_with(AuthenticatorSelectionCriteria::default);
        selection.resident_key = Some(ResidentKeyRequirement::Required);
        selection.require_resident_key = true;
        let options =
            serde_json::to_value(options.public_key).map_err(|_| WebauthnError::Configuration)?;
        Ok((options, registration))
    }

    /// The new passkey, when the browser's answer matches the ceremony.
    pub fn finish_registration(
        &self,
        credential: &RegisterPublicKeyCredential,
        registration: &PasskeyRegistration,
    ) -> Result<Passkey, WebauthnError> {
        self.webauthn
            .finish_passkey_registration(credential, registration)
    }

    /// Options for `navigator.credentials.get()` (their JSON form) that let the user pick any
    /// of their passkeys for this site, and the state to keep.
    pub fn start_sign_in(&self) -> Result<(Value, DiscoverableAuthentication), WebauthnError> {
        let (options, authentication): (RequestChallengeResponse, _) =
            self.webauthn.start_discoverable_authentication()?;
        let options =
            serde_json::to_value(options.public_key).map_err(|_| WebauthnError::Configuration)?;
        Ok((options, authentication))
    }

    /// The user handle (the account's id) and the credential id an assertion claims, before
    /// it is checked.
    pub fn identify(&self, assertion: &PublicKeyCredential) -> Option<(Uuid, String)> {
        let (user_id, credential_id) = self
            .webauthn
            .identify_discoverable_authentication(assertion)
            .ok()?;
        Some((user_id, credential_id_text(credential_id)))
    }

    /// Check an assertion against the ceremony and the stored passkey.
    pub fn finish_sign_in(
        &self,
        assertion: &PublicKeyCredential,
        authentication: DiscoverableAuthentication,
        passkey: &Passkey,
    ) -> Result<AuthenticationResult, AssertionRefused> {
        self.webauthn
            .finish_discoverable_authentication_v2(assertion, authentication, passkey)
            .map_err(|err| match err {
                WebauthnError::CredentialPossibleCompromise => AssertionRefused::PossibleClone,
                err => {
                    tracing::info!(error = %err, "passkey assertion refused");
                    AssertionRefused::Invalid
                }
            })
    }
}

/// A credential id as stored and compared: unpadded base64url, as WebAuthn's JSON writes it.
pub fn credential_id_text(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}
