//! DSSE envelopes (Dead Simple Signing Envelope, v1): the signature is over the
//! pre-authentication encoding of the payload type and the payload, never over JSON that a
//! reader might parse differently.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::keys::{SigningKey, VerifyingKey};
use crate::error::AttestError;

/// The payload type of an in-toto Statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// An envelope as written, one JSON object per line of a `.intoto.jsonl` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Base64 of the payload's bytes.
    pub payload: String,
    pub signatures: Vec<Signature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    #[serde(default)]
    pub keyid: String,
    /// Base64 of the signature's bytes.
    pub sig: String,
}

/// `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII
/// decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// `payload` (an in-toto Statement's JSON) signed with `key`.
pub fn sign(payload: &[u8], key: &SigningKey) -> Result<Envelope, AttestError> {
    let sig = key.sign(&pae(PAYLOAD_TYPE, payload))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(Envelope {
        payload_type: PAYLOAD_TYPE.to_string(),
        payload: b64.encode(payload),
        signatures: vec![Signature {
            keyid: key.keyid(),
            sig: b64.encode(sig),
        }],
    })
}

/// The payload of `envelope` if one of its signatures is `key`'s over it. The key id is a hint
/// that is not trusted: every signature is tried.
pub fn open(envelope: &Envelope, key: &VerifyingKey) -> Result<Vec<u8>, AttestError> {
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(AttestError::Statement(format!(
            "the envelope's payload type is `{}`, not `{PAYLOAD_TYPE}`",
            envelope.payload_type
        )));
    }
    let payload = decode(&envelope.payload)
        .ok_or_else(|| AttestError::Envelope("the envelope's payload is not base64".into()))?;
    if envelope.signatures.is_empty() {
        return Err(AttestError::Signature(
            "the envelope carries no signature".into(),
        ));
    }
    let message = pae(&envelope.payload_type, &payload);
    let verified = envelope
        .signatures
        .iter()
        .filter_map(|s| decode(&s.sig))
        .any(|sig| key.verifies(&message, &sig));
    if verified {
        Ok(payload)
    } else {
        let named: Vec<&str> = envelope
            .signatures
            .iter()
            .map(|s| s.keyid.as_str())
            .filter(|k| !k.is_empty())
            .collect();
        Err(AttestError::Signature(format!(
            "no signature on the envelope verifies with the {} key {}{}",
            key.algorithm().as_str(),
            key.keyid(),
            if named.is_empty() {
                String::new()
            } else {
                // Said by the envelope, not proven: a hint at which key to ask for.
                format!(" (the envelope says it was signed by {})", named.join(", "))
            }
        )))
    }
}

/// Standard base64, or URL-safe (DSSE readers accept both), padded or not.
fn decode(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(text.as_bytes()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pre_authentication_encoding_is_the_specifications() {
        // The example of the DSSE specification's protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }
}
