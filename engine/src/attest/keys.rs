//! Signing and verifying keys, read from PEM: a PKCS#8 private key or an SPKI public key, ECDSA
//! P-256 or Ed25519. Cryptography is `ring`'s; this module only reads the two DER envelopes far
//! enough to know the algorithm (and, for a public key, the key's bytes). Key material is never
//! put in a message.

use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};

use crate::error::AttestError;

/// DER of the OID id-ecPublicKey (1.2.840.10045.2.1).
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// DER of the OID prime256v1 (1.2.840.10045.3.1.7).
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// DER of the OID id-Ed25519 (1.3.101.112).
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// The SPKI DER that precedes an uncompressed P-256 point (65 bytes).
const SPKI_P256_PREFIX: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
/// The SPKI DER that precedes an Ed25519 public key (32 bytes).
const SPKI_ED25519_PREFIX: &[u8] = &[
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The algorithms a key can be for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    EcdsaP256,
    Ed25519,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::EcdsaP256 => "ECDSA P-256",
            Algorithm::Ed25519 => "Ed25519",
        }
    }
}

/// A private key that signs.
pub struct SigningKey {
    pair: Pair,
    /// The public key's SPKI DER: what `keyid` is the digest of.
    spki: Vec<u8>,
}

enum Pair {
    EcdsaP256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl std::fmt::Debug for SigningKey {
    // Never the key: only what it is.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.algorithm().as_str())
    }
}

impl SigningKey {
    /// Reads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pem(text: &str) -> Result<SigningKey, AttestError> {
        let der = pem(text, "PRIVATE KEY")?;
        match pkcs8_algorithm(&der)? {
            Algorithm::EcdsaP256 => {
                let pair = EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                    &der,
                    &SystemRandom::new(),
                )
                .map_err(|_| {
                    AttestError::Key("the ECDSA P-256 key does not parse as PKCS#8 (it must carry its public key, as OpenSSL writes it)".into())
                })?;
                let spki = [SPKI_P256_PREFIX, pair.public_key().as_ref()].concat();
                Ok(SigningKey {
                    pair: Pair::EcdsaP256(pair),
                    spki,
                })
            }
            Algorithm::Ed25519 => {
                let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(|_| {
                    AttestError::Key("the Ed25519 key does not parse as PKCS#8".into())
                })?;
                let spki = [SPKI_ED25519_PREFIX, pair.public_key().as_ref()].concat();
                Ok(SigningKey {
                    pair: Pair::Ed25519(pair),
                    spki,
                })
            }
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        match self.pair {
            Pair::EcdsaP256(_) => Algorithm::EcdsaP256,
            Pair::Ed25519(_) => Algorithm::Ed25519,
        }
    }

    /// `sha256:` and the hex SHA-256 of the public key's SPKI DER.
    pub fn keyid(&self) -> String {
        keyid(&self.spki)
    }

    /// The public key, as SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn public_pem(&self) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(&self.spki);
        let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
        for chunk in body.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        out.push_str("-----END PUBLIC KEY-----\n");
        out
    }

    /// Signs `message`: ECDSA signatures DER-encoded, as cosign writes them.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, AttestError> {
        match &self.pair {
            Pair::EcdsaP256(pair) => pair
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| AttestError::Key("the ECDSA key could not sign".into())),
            Pair::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}

/// A public key that verifies.
#[derive(Debug, Clone)]
pub struct VerifyingKey {
    algorithm: Algorithm,
    /// The key itself: an uncompressed P-256 point, or 32 Ed25519 bytes.
    key: Vec<u8>,
    spki: Vec<u8>,
}

impl VerifyingKey {
    /// Reads an SPKI PEM public key (`-----BEGIN PUBLIC KEY-----`).
    pub fn from_pem(text: &str) -> Result<VerifyingKey, AttestError> {
        let der = pem(text, "PUBLIC KEY")?;
        let bad = || AttestError::Key("the public key is not SubjectPublicKeyInfo DER".into());
        let (spki, rest) = tlv(&der, 0x30).ok_or_else(bad)?;
        if !rest.is_empty() {
            return Err(bad());
        }
        let (algorithm_id, after) = tlv(spki, 0x30).ok_or_else(bad)?;
        let (bits, after) = tlv(after, 0x03).ok_or_else(bad)?;
        if !after.is_empty() {
            return Err(bad());
        }
        let algorithm = algorithm_of(algorithm_id)?;
        // A BIT STRING of whole bytes: its first byte (unused bits) is zero.
        let key = match bits.split_first() {
            Some((0, key)) => key.to_vec(),
            _ => return Err(bad()),
        };
        let fits = match algorithm {
            Algorithm::EcdsaP256 => key.len() == 65 && key[0] == 0x04,
            Algorithm::Ed25519 => key.len() == 32,
        };
        if !fits {
            return Err(AttestError::Key(format!(
                "the {} public key has the wrong length or form",
                algorithm.as_str()
            )));
        }
        Ok(VerifyingKey {
            algorithm,
            key,
            spki: der,
        })
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// `sha256:` and the hex SHA-256 of the SPKI DER.
    pub fn keyid(&self) -> String {
        keyid(&self.spki)
    }

    /// Whether `sig` is this key's signature over `message`.
    pub fn verifies(&self, message: &[u8], sig: &[u8]) -> bool {
        let algorithm: &dyn signature::VerificationAlgorithm = match self.algorithm {
            Algorithm::EcdsaP256 => &signature::ECDSA_P256_SHA256_ASN1,
            Algorithm::Ed25519 => &signature::ED25519,
        };
        signature::UnparsedPublicKey::new(algorithm, &self.key)
            .verify(message, sig)
            .is_ok()
    }
}

fn keyid(spki: &[u8]) -> String {
    format!("sha256:{}", crate::record::sha256(spki))
}

/// The DER inside a PEM block labelled `label`; a block of another kind is named, its
/// content never shown.
fn pem(text: &str, label: &str) -> Result<Vec<u8>, AttestError> {
    let begin = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("-----BEGIN ") && l.ends_with("-----"))
        .ok_or_else(|| AttestError::Key("not a PEM file (no -----BEGIN line)".into()))?;
    let found = &begin["-----BEGIN ".len()..begin.len() - "-----".len()];
    if found != label {
        let why = match found {
            "PRIVATE KEY" | "EC PRIVATE KEY" if label == "PUBLIC KEY" => "this is a private key; verify with its public half (`openssl pkey -in KEY -pubout -out KEY.pub`), which is all a deployment needs".to_string(),
            "ENCRYPTED PRIVATE KEY" => {
                "the private key is encrypted; aimsgate reads an unencrypted PKCS#8 key (keep it in a secret store, not behind a passphrase)".to_string()
            }
            "EC PRIVATE KEY" => "the private key is in SEC1 form; convert it to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt`".to_string(),
            "RSA PRIVATE KEY" | "OPENSSH PRIVATE KEY" => format!(
                "a `{found}` is not supported: the key must be ECDSA P-256 or Ed25519, in PKCS#8 PEM"
            ),
            other => format!("a PEM `{other}` block where a `{label}` was expected"),
        };
        return Err(AttestError::Key(why));
    }
    let end = format!("-----END {label}-----");
    let body: String = text
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != begin)
        .skip(1)
        .take_while(|l| *l != end)
        .filter(|l| !l.contains(':'))
        .collect();
    if !text.lines().any(|l| l.trim() == end) {
        return Err(AttestError::Key(format!(
            "the PEM block has no `{end}` line"
        )));
    }
    base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|_| AttestError::Key("the PEM block is not base64".into()))
}

/// The algorithm of a PKCS#8 `PrivateKeyInfo`.
fn pkcs8_algorithm(der: &[u8]) -> Result<Algorithm, AttestError> {
    let bad = || AttestError::Key("the private key is not PKCS#8 DER".into());
    let (info, _) = tlv(der, 0x30).ok_or_else(bad)?;
    let (_version, rest) = tlv(info, 0x02).ok_or_else(bad)?;
    let (algorithm_id, _) = tlv(rest, 0x30).ok_or_else(bad)?;
    algorithm_of(algorithm_id)
}

/// The algorithm an `AlgorithmIdentifier`'s content names, if it is one aimsgate signs with.
fn algorithm_of(algorithm_id: &[u8]) -> Result<Algorithm, AttestError> {
    let bad = || AttestError::Key("the key's algorithm identifier does not parse".into());
    let (oid, params) = tlv(algorithm_id, 0x06).ok_or_else(bad)?;
    if oid == OID_ED25519 {
        return Ok(Algorithm::Ed25519);
    }
    if oid == OID_EC_PUBLIC_KEY {
        return match tlv(params, 0x06) {
            Some((curve, _)) if curve == OID_P256 => Ok(Algorithm::EcdsaP256),
            _ => Err(AttestError::Key(
                "the elliptic-curve key is not on P-256 (prime256v1), the one curve supported"
                    .into(),
            )),
        };
    }
    Err(AttestError::Key(
        "the key is neither ECDSA P-256 nor Ed25519 (an RSA key?)".into(),
    ))
}

/// One DER element of tag `tag` at the start of `input`: its content and what follows it.
fn tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81 => {
            let (&n, rest) = rest.split_first()?;
            (usize::from(n), rest)
        }
        0x82 => {
            let (n, rest) = rest.split_at_checked(2)?;
            (usize::from(n[0]) << 8 | usize::from(n[1]), rest)
        }
        _ => return None,
    };
    rest.split_at_checked(len)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn pem_of(label: &str, der: &[u8]) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
    }

    #[test]
    fn generated_keys_sign_and_their_public_halves_verify() {
        let rng = SystemRandom::new();
        let ec =
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let ed = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        for (der, algorithm) in [
            (ec.as_ref(), Algorithm::EcdsaP256),
            (ed.as_ref(), Algorithm::Ed25519),
        ] {
            let key = SigningKey::from_pem(&pem_of("PRIVATE KEY", der)).unwrap();
            assert_eq!(key.algorithm(), algorithm);
            let public = VerifyingKey::from_pem(&key.public_pem()).unwrap();
            assert_eq!(public.keyid(), key.keyid());
            let sig = key.sign(b"message").unwrap();
            assert!(public.verifies(b"message", &sig));
            assert!(!public.verifies(b"messagE", &sig));
        }
    }

    #[test]
    fn keys_of_other_kinds_are_named_and_never_quoted() {
        let secret = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg";
        for (label, says) in [
            ("ENCRYPTED PRIVATE KEY", "encrypted"),
            ("EC PRIVATE KEY", "SEC1"),
            ("RSA PRIVATE KEY", "not supported"),
            ("OPENSSH PRIVATE KEY", "not supported"),
        ] {
            let text = format!("-----BEGIN {label}-----\n{secret}\n-----END {label}-----\n");
            let why = SigningKey::from_pem(&text).unwrap_err().to_string();
            assert!(why.contains(says), "{label}: {why}");
            assert!(!why.contains(secret), "{why}");
        }
        assert!(SigningKey::from_pem("not a key").is_err());
        assert!(VerifyingKey::from_pem(&pem_of("PUBLIC KEY", &[0x30, 0x00])).is_err());
    }
}
