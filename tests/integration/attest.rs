//! Signed decisions: `check --attest DIR --signing-key KEY` writes an in-toto statement (SLSA
//! VSA v1) per model and its DSSE envelope; `verify-attestation` allows a deployment only when
//! the signature verifies with the key and the statement allows exactly this deployment of
//! exactly these files. The signature is also checked here independently: the
//! pre-authentication encoding is computed by the test, and `ring` verifies it.

use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use crate::common::{self, Aimsgate, root};

/// The SHA-256 of the bytes the test LFS object holds.
const WEIGHTS: &[u8] = b"pretend these are a model's weights\n";

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn key(name: &str) -> String {
    root()
        .join("fixtures/keys")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// A repository with two models: `ownerless` (fails only `owner-assigned`, waived until
/// 2026-11-30) whose weights are a Git LFS pointer, and `blocked` (fails `owner-assigned`, not
/// waived).
fn repository() -> tempfile::TempDir {
    let (dir, repo) = common::repo();
    let card = std::fs::read_to_string(
        root().join("fixtures/example/models/sentiment-classifier/model-card.yaml"),
    )
    .unwrap();
    let ownerless = card.replacen("\n  owner: \"@acme/support-ml\"\n", "\n", 1);
    common::write(
        &repo,
        "models/ownerless/model-card.yaml",
        ownerless.as_bytes(),
    );
    let pointer = format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize {}\n",
        sha256_hex(WEIGHTS),
        WEIGHTS.len()
    );
    common::write(
        &repo,
        "models/ownerless/model.safetensors",
        pointer.as_bytes(),
    );
    common::write(
        &repo,
        ".gitattributes",
        b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
    );
    common::write(&repo, "models/ownerless/config.json", b"{\"layers\": 2}\n");
    let blocked = ownerless.replace("id: sentiment-classifier", "id: blocked");
    let blocked = blocked.replace("sentiment-classifier", "blocked");
    common::write(&repo, "models/blocked/model-card.yaml", blocked.as_bytes());
    common::write(
        &repo,
        ".aimsgate/waivers.yaml",
        b"waivers:\n  - gate: owner-assigned\n    model: ownerless\n    reason: \"Owner leaves; the team lead signs off until the new owner starts\"\n    approved_by: \"@acme/ai-governance\"\n    approved_on: 2026-11-01\n    expires: 2026-11-30\n    reference: NC-2026-12\n",
    );
    common::commit(&repo, "two models", ("Ada", "ada@example.com"));
    dir
}

/// `check --attest out` on staging, signed with `signing` when given.
fn attest(dir: &Path, signing: Option<&str>) -> common::Run {
    let mut run = Aimsgate::check(dir)
        .staging()
        .json()
        .args(&["--attest", "out"]);
    if let Some(k) = signing {
        run = run.args(&["--signing-key", &key(k)]);
    }
    run.run()
}

fn verify(dir: &Path, model: &str, public: &str, extra: &[&str]) -> common::Run {
    let envelope = format!("out/{model}.intoto.jsonl");
    // The model's card is always among the files checked: it is a subject of every statement.
    let card = ["models/", ""]
        .iter()
        .map(|p| dir.join(format!("{p}{model}/model-card.yaml")))
        .find(|c| c.exists())
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut run = Aimsgate::new(dir)
        .args(&["verify-attestation", &envelope, "--key", &key(public)])
        .args(extra)
        .args(&[&card]);
    // Staging, the day after the check, unless the case says otherwise.
    for (flag, value) in [("--env", "staging"), ("--now", "2026-11-21")] {
        if !extra.contains(&flag) {
            run = run.args(&[flag, value]);
        }
    }
    run.run()
}

fn statement(dir: &Path, model: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(format!("out/{model}.statement.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn envelope(dir: &Path, model: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(format!("out/{model}.intoto.jsonl"))).unwrap();
    assert_eq!(text.lines().count(), 1, "one envelope per line: {text}");
    serde_json::from_str(text.trim_end()).unwrap()
}

/// The key's bytes from an SPKI PEM: the BIT STRING is the DER's tail, 65 bytes for a P-256
/// point, 32 for Ed25519.
fn public_key_bytes(public: &str) -> Vec<u8> {
    let pem = std::fs::read_to_string(key(public)).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let n = if public.starts_with("ed25519") {
        32
    } else {
        65
    };
    der[der.len() - n..].to_vec()
}

/// The DSSE pre-authentication encoding, written here from the specification.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

fn b64(text: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text.as_str().unwrap())
        .unwrap()
}

#[test]
fn both_key_types_round_trip_and_the_signature_verifies_independently() {
    for (private, public) in [("ed25519.key", "ed25519.pub"), ("p256.key", "p256.pub")] {
        let dir = repository();
        let run = attest(dir.path(), Some(private));
        assert_eq!(run.code, 1, "one model is blocked: {}", run.output());
        let env = envelope(dir.path(), "ownerless");
        assert_eq!(env["payloadType"], "application/vnd.in-toto+json");
        let payload = b64(&env["payload"]);
        // The payload is the statement written beside it.
        let signed: Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(signed, statement(dir.path(), "ownerless"));
        let sig = b64(&env["signatures"][0]["sig"]);
        let algorithm: &dyn ring::signature::VerificationAlgorithm =
            if public.starts_with("ed25519") {
                &ring::signature::ED25519
            } else {
                // DER-encoded, as cosign writes ECDSA signatures.
                assert_eq!(sig[0], 0x30, "an ASN.1 SEQUENCE");
                &ring::signature::ECDSA_P256_SHA256_ASN1
            };
        ring::signature::UnparsedPublicKey::new(algorithm, public_key_bytes(public))
            .verify(&pae("application/vnd.in-toto+json", &payload), &sig)
            .unwrap_or_else(|_| panic!("{private}: the signature does not verify independently"));

        let ok = verify(dir.path(), "ownerless", public, &[]);
        assert_eq!(ok.code, 0, "{}", ok.output());
        assert!(
            ok.stdout
                .contains("allowed: the attestation allows this deployment"),
            "{}",
            ok.stdout
        );
    }
}

#[test]
fn the_statement_keeps_the_statement_v1_and_vsa_v1_field_rules() {
    let dir = repository();
    attest(dir.path(), None);
    assert!(
        !dir.path().join("out/ownerless.intoto.jsonl").exists(),
        "no key, no envelope"
    );
    let s = statement(dir.path(), "ownerless");
    assert_eq!(s["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(
        s["predicateType"],
        "https://slsa.dev/verification_summary/v1"
    );
    let subjects = s["subject"].as_array().unwrap();
    let names: Vec<&str> = subjects
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    // Every tracked file of the folder, sorted; nothing of the other model's folder.
    assert_eq!(
        names,
        [
            "models/ownerless/config.json",
            "models/ownerless/model-card.yaml",
            "models/ownerless/model.safetensors"
        ]
    );
    for subject in subjects {
        let hex = subject["digest"]["sha256"].as_str().unwrap();
        assert!(
            hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }
    let card = std::fs::read(dir.path().join("models/ownerless/model-card.yaml")).unwrap();
    assert_eq!(subjects[1]["digest"]["sha256"], sha256_hex(&card));
    // The LFS pointer stands for its object.
    assert_eq!(subjects[2]["digest"]["sha256"], sha256_hex(WEIGHTS));

    let p = &s["predicate"];
    assert!(
        p["verifier"]["id"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert_eq!(
        p["verifier"]["version"]["aimsgate"],
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(p["timeVerified"], "2026-11-20T00:00:00.000Z");
    let uri = p["resourceUri"].as_str().unwrap();
    assert!(
        uri.starts_with("git+file://") && uri.ends_with("#models/ownerless"),
        "{uri}"
    );
    assert!(p["policy"]["uri"].as_str().unwrap().starts_with("https://"));
    assert_eq!(p["policy"]["digest"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(p["verificationResult"], "PASSED");
    let levels = p["verifiedLevels"].as_array().unwrap();
    assert!(!levels.is_empty());
    assert!(
        levels
            .iter()
            .all(|l| !l.as_str().unwrap().starts_with("SLSA_"))
    );
    assert_eq!(levels[0], "AIMSGATE_ACTION_DEPLOY");
    // What aimsgate adds is under one key.
    let ours = &p["aimsgate"];
    assert_eq!(ours["model"], "ownerless");
    assert_eq!(ours["waivers"][0]["gate"], "owner-assigned");
    assert_eq!(ours["waivers"][0]["expires"], "2026-11-30");
    assert_eq!(ours["findings"][0]["gate"], "owner-assigned");
    assert_eq!(ours["record_sha256"].as_str().unwrap().len(), 64);
    let known = [
        "verifier",
        "timeVerified",
        "resourceUri",
        "policy",
        "verificationResult",
        "verifiedLevels",
        "aimsgate",
    ];
    assert!(
        p.as_object()
            .unwrap()
            .keys()
            .all(|k| known.contains(&k.as_str())),
        "{p}"
    );
}

#[test]
fn a_blocked_model_is_attested_as_failed_and_refused() {
    let dir = repository();
    attest(dir.path(), Some("ed25519.key"));
    assert_eq!(
        statement(dir.path(), "blocked")["predicate"]["verificationResult"],
        "FAILED"
    );
    let run = verify(dir.path(), "blocked", "ed25519.pub", &[]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        run.stdout.contains("refused: the statement says FAILED"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_record_and_the_statement_name_the_same_decision() {
    let dir = repository();
    let run = Aimsgate::check(dir.path())
        .staging()
        .args(&["--attest", "out", "--record", "records.jsonl"])
        .run();
    assert_eq!(run.code, 1, "{}", run.output());
    let line = std::fs::read_to_string(dir.path().join("records.jsonl")).unwrap();
    let record: Value = serde_json::from_str(line.trim_end()).unwrap();
    let s = statement(dir.path(), "ownerless");
    assert_eq!(
        s["predicate"]["aimsgate"]["record_sha256"],
        sha256_hex(line.trim_end().as_bytes())
    );
    assert_eq!(
        s["predicate"]["policy"]["digest"]["sha256"],
        record["policies"]["sha256"]
    );
}

/// A repository attested with the P-256 key, and the weights the LFS pointer stands for.
fn attested() -> (tempfile::TempDir, String) {
    let dir = repository();
    attest(dir.path(), Some("p256.key"));
    let weights = dir.path().join("weights.safetensors");
    std::fs::write(&weights, WEIGHTS).unwrap();
    let weights = weights.to_string_lossy().into_owned();
    (dir, weights)
}

/// `verify-attestation` of `ownerless` with `args` refuses (exit 1), saying `says`.
fn refused(dir: &Path, args: &[&str], says: &str) {
    let run = verify(dir, "ownerless", "p256.pub", args);
    assert_eq!(run.code, 1, "{args:?}: {}", run.output());
    assert!(run.stdout.contains(says), "{args:?}: {}", run.stdout);
    assert!(!run.stdout.contains("allowed:"), "{}", run.stdout);
}

#[test]
fn the_weights_the_pointer_stands_for_verify() {
    let (dir, weights) = attested();
    let ok = verify(dir.path(), "ownerless", "p256.pub", &[&weights]);
    assert_eq!(ok.code, 0, "{}", ok.output());
    assert!(
        ok.stdout.contains("= models/ownerless/model.safetensors"),
        "{}",
        ok.stdout
    );
    // The JSON says the same, for scripts.
    let doc = verify(
        dir.path(),
        "ownerless",
        "p256.pub",
        &[&weights, "--format", "json"],
    )
    .json();
    assert_eq!(doc["verified"], true);
    assert_eq!(doc["allowed"], true);
    assert_eq!(doc["model"], "ownerless");
    assert_eq!(
        doc["artifacts"][0]["subject"],
        "models/ownerless/model.safetensors"
    );
}

#[test]
fn tampered_weights_are_refused() {
    let (dir, weights) = attested();
    let tampered = dir.path().join("tampered.safetensors");
    std::fs::write(&tampered, b"pretend these are a model's weightz\n").unwrap();
    let tampered = tampered.to_string_lossy().into_owned();
    refused(
        dir.path(),
        &[&weights, &tampered],
        "is not among the statement's subjects",
    );
}

#[test]
fn another_environment_or_action_is_refused() {
    let (dir, _) = attested();
    refused(
        dir.path(),
        &["--env", "production"],
        "not deploy to production",
    );
    refused(dir.path(), &["--action", "release"], "not release");
    let doc = verify(
        dir.path(),
        "ownerless",
        "p256.pub",
        &["--env", "production", "--format", "json"],
    )
    .json();
    assert_eq!(doc["verified"], true);
    assert_eq!(doc["allowed"], false);
    assert!(doc["refusals"][0].as_str().unwrap().contains("production"));
}

#[test]
fn a_stale_statement_or_one_from_the_future_is_refused() {
    let (dir, _) = attested();
    refused(
        dir.path(),
        &["--now", "2027-01-20", "--max-age-days", "30"],
        "more than the 30 days allowed",
    );
    refused(
        dir.path(),
        &["--now", "2026-11-19"],
        "after the time of this check",
    );
    let young = verify(
        dir.path(),
        "ownerless",
        "p256.pub",
        &["--max-age-days", "1"],
    );
    assert_eq!(
        young.code,
        0,
        "one day old is within a day: {}",
        young.output()
    );
}

#[test]
fn a_waiver_that_has_expired_since_is_refused_after_its_last_day() {
    let (dir, _) = attested();
    refused(
        dir.path(),
        &["--now", "2026-12-01"],
        "that expired on 2026-11-30",
    );
    let last_day = verify(
        dir.path(),
        "ownerless",
        "p256.pub",
        &["--now", "2026-11-30T23:59:59Z"],
    );
    assert_eq!(
        last_day.code,
        0,
        "a waiver holds through its last day: {}",
        last_day.output()
    );
}

#[test]
fn another_policy_pack_is_refused() {
    let (dir, _) = attested();
    let digest = format!("sha256:{}", "0".repeat(64));
    refused(
        dir.path(),
        &["--policy-digest", &digest],
        "the policy pack was sha256:",
    );
    let pack = statement(dir.path(), "ownerless")["predicate"]["policy"]["digest"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let same = verify(
        dir.path(),
        "ownerless",
        "p256.pub",
        &["--policy-digest", &format!("sha256:{pack}")],
    );
    assert_eq!(same.code, 0, "{}", same.output());
}

/// Writes `text` as the envelope of model `ownerless`.
fn replace_envelope(dir: &Path, text: &str) {
    std::fs::write(dir.join("out/ownerless.intoto.jsonl"), text).unwrap();
}

/// Signs `statement` with the Ed25519 test key, as an attacker with the key could; the PAE is
/// the test's own.
fn signed_by_test_key(statement: &Value) -> String {
    let pem = std::fs::read_to_string(key("ed25519.key")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).unwrap();
    let payload = serde_json::to_vec(statement).unwrap();
    let sig = pair.sign(&pae("application/vnd.in-toto+json", &payload));
    let b = base64::engine::general_purpose::STANDARD;
    serde_json::json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": b.encode(&payload),
        "signatures": [{ "keyid": "", "sig": b.encode(sig.as_ref()) }],
    })
    .to_string()
}

/// A repository attested with the Ed25519 key, and its `ownerless` envelope as written.
fn signed() -> (tempfile::TempDir, String) {
    let dir = repository();
    attest(dir.path(), Some("ed25519.key"));
    let original = std::fs::read_to_string(dir.path().join("out/ownerless.intoto.jsonl")).unwrap();
    (dir, original)
}

/// `verify-attestation` of `ownerless` with `public` cannot verify (exit 2) for reason `code`,
/// in the human and the JSON output.
fn unverifiable(dir: &Path, public: &str, code: &str) {
    let run = verify(dir, "ownerless", public, &[]);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(run.stderr.contains(code), "{code}: {}", run.stderr);
    let json = verify(dir, "ownerless", public, &["--format", "json"]);
    assert_eq!(json.code, 2);
    assert_eq!(json.json()["errors"][0]["code"], code);
    assert_eq!(json.json()["verified"], false);
}

#[test]
fn the_wrong_key_cannot_verify() {
    let (dir, _) = signed();
    unverifiable(dir.path(), "other-p256.pub", "attest::signature");
}

#[test]
fn a_tampered_payload_cannot_verify() {
    let (dir, original) = signed();
    // The blocked model's statement edited to PASSED, under ownerless' signature.
    let mut statement = statement(dir.path(), "blocked");
    statement["predicate"]["verificationResult"] = "PASSED".into();
    let b = base64::engine::general_purpose::STANDARD;
    let mut forged: Value = serde_json::from_str(original.trim_end()).unwrap();
    forged["payload"] = b.encode(serde_json::to_vec(&statement).unwrap()).into();
    replace_envelope(dir.path(), &forged.to_string());
    unverifiable(dir.path(), "ed25519.pub", "attest::signature");
    // A signature that is not one.
    let mut env: Value = serde_json::from_str(original.trim_end()).unwrap();
    env["signatures"][0]["sig"] = b.encode([0u8; 64]).into();
    replace_envelope(dir.path(), &env.to_string());
    unverifiable(dir.path(), "ed25519.pub", "attest::signature");
}

#[test]
fn what_is_not_one_envelope_cannot_verify() {
    let (dir, original) = signed();
    for text in [
        "{\"not\": \"dsse\"}\n",
        &format!("{original}{original}"),
        "",
        "\u{0}\u{ff}",
    ] {
        replace_envelope(dir.path(), text);
        unverifiable(dir.path(), "ed25519.pub", "attest::envelope");
    }
    // Bytes that are not text.
    std::fs::write(
        dir.path().join("out/ownerless.intoto.jsonl"),
        [0xff, 0xfe, 0x00],
    )
    .unwrap();
    unverifiable(dir.path(), "ed25519.pub", "io::read");
}

#[test]
fn a_signed_statement_that_is_not_aimsgates_cannot_verify() {
    let (dir, _) = signed();
    let good = self::statement(dir.path(), "ownerless");
    let mut other = good.clone();
    other["predicateType"] = "https://slsa.dev/provenance/v1".into();
    let mut level = good.clone();
    level["predicate"]["verifiedLevels"] = serde_json::json!(["SLSA_BUILD_LEVEL_3"]);
    let mut bare = good.clone();
    bare["predicate"]
        .as_object_mut()
        .unwrap()
        .remove("aimsgate");
    let mut mismatched = good.clone();
    mismatched["predicate"]["verifiedLevels"] = serde_json::json!(["AIMSGATE_ACTION_RELEASE"]);
    for wrong in [other, level, bare, mismatched] {
        replace_envelope(dir.path(), &signed_by_test_key(&wrong));
        unverifiable(dir.path(), "ed25519.pub", "attest::statement");
    }
    // The untouched statement, signed the same way, verifies: each case fails for its reason.
    replace_envelope(dir.path(), &signed_by_test_key(&good));
    assert_eq!(verify(dir.path(), "ownerless", "ed25519.pub", &[]).code, 0);
}

#[test]
fn a_key_that_is_no_supported_public_key_cannot_verify() {
    let (dir, _) = signed();
    unverifiable(dir.path(), "p384.pub", "attest::key");
    unverifiable(dir.path(), "ed25519.key", "attest::key");
}

#[test]
fn a_signing_key_that_cannot_be_used_stops_the_check_before_judging() {
    let dir = repository();
    for (name, says) in [
        ("encrypted.key", "encrypted"),
        ("p256.pub", "a `PRIVATE KEY` was expected"),
        ("missing.key", "cannot read the signing key"),
    ] {
        let run = Aimsgate::check(dir.path())
            .staging()
            .args(&["--attest", "out", "--signing-key", &key(name)])
            .run();
        assert_eq!(run.code, 2, "{name}: {}", run.output());
        assert!(
            !run.stdout.contains("ownerless"),
            "nothing was judged: {}",
            run.stdout
        );
        assert!(!dir.path().join("out/ownerless.statement.json").exists());
        // The message as JSON: the human rendering wraps it at the terminal's width.
        let doc = Aimsgate::check(dir.path())
            .staging()
            .json()
            .args(&["--attest", "out", "--signing-key", &key(name)])
            .run()
            .json();
        let message = doc["errors"][0]["message"].as_str().unwrap().to_string();
        assert!(message.contains(says), "{name}: {message}");
        assert!(doc["models"].as_array().unwrap().is_empty(), "{doc}");
        // Key material is never shown.
        let text = std::fs::read_to_string(key(name)).unwrap_or_default();
        for line in text
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() > 16)
        {
            assert!(!run.output().contains(line), "{name}: key material shown");
        }
    }
}

#[test]
fn attestations_that_cannot_be_written_fail_the_check() {
    let dir = repository();
    // A file where the folder should be.
    std::fs::write(dir.path().join("out"), b"").unwrap();
    let run = attest(dir.path(), Some("ed25519.key"));
    assert_eq!(run.code, 2, "{}", run.output());
    assert_eq!(run.json()["decision"], "error");
    let human = Aimsgate::check(dir.path())
        .staging()
        .args(&["--attest", "out"])
        .run();
    assert!(
        human.stdout.contains("1 file could not be written"),
        "{}",
        human.stdout
    );
    // A tracked file the folder no longer holds cannot be hashed: an error, not a subject less.
    let dir = repository();
    std::fs::remove_file(dir.path().join("models/ownerless/config.json")).unwrap();
    let run = attest(dir.path(), None);
    assert_eq!(run.code, 2, "{}", run.output());
    let doc = run.json();
    assert_eq!(doc["errors"][0]["code"], "attest::subject");
    assert!(
        !dir.path().join("out/blocked.statement.json").exists() || {
            // Nothing is written when any model's attestation cannot be made.
            let text =
                std::fs::read_to_string(dir.path().join("out/blocked.statement.json")).unwrap();
            text.is_empty()
        }
    );
    // The bound on bytes hashed.
    let dir = repository();
    let run = attest(dir.path(), None);
    assert_eq!(run.code, 1);
    let small = Aimsgate::check(dir.path())
        .staging()
        .json()
        .args(&["--attest", "out", "--attest-max-bytes", "100"])
        .run();
    assert_eq!(small.code, 2, "{}", small.output());
    assert!(
        small.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("--attest-max-bytes")
    );
}

#[test]
fn outside_git_the_files_under_the_folder_are_the_subjects() {
    let dir = tempfile::tempdir().unwrap();
    let card =
        std::fs::read(root().join("fixtures/example/models/sentiment-classifier/model-card.yaml"))
            .unwrap();
    std::fs::create_dir_all(dir.path().join("m/weights")).unwrap();
    std::fs::write(dir.path().join("m/model-card.yaml"), card).unwrap();
    std::fs::write(dir.path().join("m/weights/model.onnx"), WEIGHTS).unwrap();
    let run = attest(dir.path(), Some("ed25519.key"));
    assert_eq!(run.code, 0, "{}", run.output());
    // The model is named after its folder, as check names it.
    let s = statement(dir.path(), "m");
    let names: Vec<&str> = s["subject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["m/model-card.yaml", "m/weights/model.onnx"]);
    assert!(
        s["predicate"]["resourceUri"]
            .as_str()
            .unwrap()
            .starts_with("file://")
    );
    // A folder of artifacts verifies file by file.
    let folder = dir.path().join("m/weights").to_string_lossy().into_owned();
    let run = verify(dir.path(), "m", "ed25519.pub", &[&folder]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.stdout.contains("= m/weights/model.onnx"),
        "{}",
        run.stdout
    );
    std::fs::write(dir.path().join("m/weights/extra.bin"), b"not attested").unwrap();
    let run = verify(dir.path(), "m", "ed25519.pub", &[&folder]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        run.stdout.contains("extra.bin: its sha256"),
        "{}",
        run.stdout
    );
}

/// A model id may hold `/` and `.`: its attestation still lands in the folder asked for, in a
/// file of its own. A run that could not evaluate attests nothing.
#[test]
fn ids_with_slashes_and_dots_stay_inside_the_attestations_folder() {
    let (dir, repo) = common::repo();
    let card = std::fs::read_to_string(
        root().join("fixtures/example/models/sentiment-classifier/model-card.yaml"),
    )
    .unwrap();
    let with_id = |id: &str| {
        card.replacen(
            "governance:\n",
            &format!("governance:\n  id: \"{id}\"\n"),
            1,
        )
    };
    common::write(
        &repo,
        "models/a/model-card.yaml",
        with_id("../../escaped").as_bytes(),
    );
    common::write(
        &repo,
        "models/b/model-card.yaml",
        with_id("acme/fraud").as_bytes(),
    );
    common::commit(&repo, "two models", ("Ada", "ada@example.com"));
    let listing = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let run = Aimsgate::check(dir.path())
        .staging()
        .args(&["--attest", "out/deep"])
        .run();
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        listing(&dir.path().join("out/deep")),
        [
            "..%2F..%2Fescaped.statement.json",
            "acme%2Ffraud.statement.json"
        ]
    );
    assert!(!dir.path().join("escaped.statement.json").exists());
    assert!(!dir.path().join("out/escaped.statement.json").exists());

    // `%` is not an id character: that card is an error, and the run attests nothing.
    common::write(
        &repo,
        "models/c/model-card.yaml",
        with_id("acme%2Ffraud").as_bytes(),
    );
    common::commit(&repo, "a third", ("Ada", "ada@example.com"));
    let run = Aimsgate::check(dir.path())
        .staging()
        .args(&["--attest", "out/again"])
        .run();
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr.contains("no attestation is written"),
        "{}",
        run.stderr
    );
    assert!(listing(&dir.path().join("out/again")).is_empty());
}

/// A file that reads like an LFS pointer but that git does not store with LFS is its bytes:
/// a pointer's word counts only where `.gitattributes` says `filter=lfs`.
#[test]
fn only_a_file_git_stores_with_lfs_stands_for_an_object() {
    let dir = repository();
    let repo = git2::Repository::open(dir.path()).unwrap();
    let claim = format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 5000\n",
        sha256_hex(b"weights nobody judged")
    );
    common::write(&repo, "models/ownerless/NOTES.txt", claim.as_bytes());
    common::commit(&repo, "notes", ("Ada", "ada@example.com"));
    attest(dir.path(), Some("ed25519.key"));
    let s = statement(dir.path(), "ownerless");
    let notes = s["subject"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "models/ownerless/NOTES.txt")
        .unwrap()
        .clone();
    assert_eq!(notes["digest"]["sha256"], sha256_hex(claim.as_bytes()));
    let evil = dir.path().join("evil.bin");
    std::fs::write(&evil, b"weights nobody judged").unwrap();
    let run = verify(
        dir.path(),
        "ownerless",
        "ed25519.pub",
        &[&evil.to_string_lossy()],
    );
    assert_eq!(run.code, 1, "{}", run.output());
}

/// At deploy time a file is its bytes, whatever it says of itself: a small file written as an
/// LFS pointer naming a subject's object does not verify as that subject.
#[test]
fn a_deployed_file_that_reads_like_a_pointer_is_its_bytes() {
    let (dir, _) = attested();
    let fake = dir.path().join("run.sh");
    std::fs::write(
        &fake,
        format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 16\necho pwned\n",
            sha256_hex(WEIGHTS)
        ),
    )
    .unwrap();
    refused(
        dir.path(),
        &[&fake.to_string_lossy()],
        "is not among the statement's subjects",
    );
}

/// A link in the model's folder is refused rather than attested by the text it holds: what it
/// points to could change after the judgment. At deploy time a link to a file is followed.
#[cfg(unix)]
#[test]
fn links_are_refused_in_the_folder_and_followed_at_deploy_time() {
    let dir = repository();
    let repo = git2::Repository::open(dir.path()).unwrap();
    std::fs::write(dir.path().join("shared.onnx"), b"v1").unwrap();
    std::os::unix::fs::symlink(
        "../../shared.onnx",
        dir.path().join("models/ownerless/model.onnx"),
    )
    .unwrap();
    common::commit(&repo, "a link", ("Ada", "ada@example.com"));
    let run = attest(dir.path(), None);
    assert_eq!(run.code, 2, "{}", run.output());
    let doc = run.json();
    assert_eq!(doc["errors"][0]["code"], "attest::subject");
    assert!(
        doc["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("symbolic link"),
        "{doc}"
    );

    let (dir, weights) = attested();
    let link = dir.path().join("cache-link");
    std::os::unix::fs::symlink(&weights, &link).unwrap();
    let ok = verify(
        dir.path(),
        "ownerless",
        "p256.pub",
        &[&link.to_string_lossy()],
    );
    assert_eq!(ok.code, 0, "{}", ok.output());
}

/// Nothing named, or an empty folder: nothing was checked, so nothing is allowed.
#[test]
fn a_check_of_no_file_allows_nothing() {
    let (dir, _) = attested();
    let envelope = dir.path().join("out/ownerless.intoto.jsonl");
    let bare = Aimsgate::new(dir.path())
        .args(&[
            "verify-attestation",
            &envelope.to_string_lossy(),
            "--key",
            &key("p256.pub"),
        ])
        .args(&["--env", "staging", "--now", "2026-11-21"])
        .run();
    assert_eq!(bare.code, 2, "{}", bare.output());
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    refused(dir.path(), &[&empty.to_string_lossy()], "no file under it");
}

/// The key, the envelope or an artifact that is a FIFO is refused at once, never waited on.
#[cfg(unix)]
#[test]
fn fifos_are_refused_not_waited_on() {
    let (dir, _) = attested();
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let fifo = fifo.to_string_lossy().into_owned();
    let envelope = dir
        .path()
        .join("out/ownerless.intoto.jsonl")
        .to_string_lossy()
        .into_owned();
    let card = dir
        .path()
        .join("models/ownerless/model-card.yaml")
        .to_string_lossy()
        .into_owned();
    let public = key("p256.pub");
    for args in [
        [fifo.as_str(), public.as_str(), card.as_str()],
        [envelope.as_str(), fifo.as_str(), card.as_str()],
        [envelope.as_str(), public.as_str(), fifo.as_str()],
    ] {
        let run = Aimsgate::new(dir.path())
            .args(&["verify-attestation", args[0], "--key", args[1], args[2]])
            .args(&["--env", "staging", "--now", "2026-11-21"])
            .run();
        assert_eq!(run.code, 2, "{args:?}: {}", run.output());
    }
    let run = Aimsgate::check(dir.path())
        .staging()
        .args(&["--attest", "out", "--signing-key", &fifo])
        .run();
    assert_eq!(run.code, 2, "{}", run.output());
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(["-c", "protocol.file.allow=always", "-c", "user.name=Ada"])
        .args(["-c", "user.email=ada@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A model inside a checked-out submodule is attested with the files the submodule tracks,
/// named from the outer repository's root; a statement never has no subject.
#[test]
fn a_model_inside_a_submodule_is_attested_with_the_submodules_files() {
    let sub = tempfile::tempdir().unwrap();
    let card =
        std::fs::read(root().join("fixtures/example/models/sentiment-classifier/model-card.yaml"))
            .unwrap();
    std::fs::create_dir_all(sub.path().join("models/vendored")).unwrap();
    std::fs::write(sub.path().join("models/vendored/model-card.yaml"), &card).unwrap();
    std::fs::write(sub.path().join("models/vendored/model.onnx"), b"onnx").unwrap();
    git(sub.path(), &["init", "-q", "-b", "main"]);
    git(sub.path(), &["add", "-A"]);
    git(sub.path(), &["commit", "-qm", "vendored model"]);
    let outer = tempfile::tempdir().unwrap();
    git(outer.path(), &["init", "-q", "-b", "main"]);
    let url = sub.path().to_string_lossy().into_owned();
    git(
        outer.path(),
        &["submodule", "add", "-q", &url, "vendor/sub"],
    );
    git(outer.path(), &["commit", "-qm", "vendor a model"]);
    let run = attest(outer.path(), None);
    assert_eq!(run.code, 0, "{}", run.output());
    let s = statement(outer.path(), "vendored");
    let names: Vec<&str> = s["subject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "vendor/sub/models/vendored/model-card.yaml",
            "vendor/sub/models/vendored/model.onnx"
        ]
    );
}

/// The messages a deploy step's author reads name the mistake.
#[test]
fn verify_messages_name_the_mistake() {
    let (dir, _) = signed();
    // The unsigned statement given for the envelope.
    let statement = dir.path().join("out/ownerless.statement.json");
    let card = dir.path().join("models/ownerless/model-card.yaml");
    let run = Aimsgate::new(dir.path())
        .args(&[
            "verify-attestation",
            &statement.to_string_lossy(),
            "--key",
            &key("ed25519.pub"),
        ])
        .args(&["--env", "staging"])
        .args(&["--format", "json", &card.to_string_lossy()])
        .run();
    assert_eq!(run.code, 2, "{}", run.output());
    let message = run.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("unsigned statement") && message.contains(".intoto.jsonl"),
        "{message}"
    );
    // The wrong key: which key the envelope says signed it.
    let run = verify(
        dir.path(),
        "ownerless",
        "other-p256.pub",
        &["--format", "json"],
    );
    let message = run.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("the envelope says it was signed by sha256:"),
        "{message}"
    );
    // FAILED names the gates that blocked.
    let run = verify(dir.path(), "blocked", "ed25519.pub", &[]);
    assert!(run.stdout.contains("by `owner-assigned`"), "{}", run.stdout);
}

/// A statement names a commit, so a folder changed since that commit is not attested.
#[test]
fn a_folder_changed_since_the_commit_is_not_attested() {
    let dir = repository();
    std::fs::write(
        dir.path().join("models/ownerless/config.json"),
        b"{\"layers\": 3}\n",
    )
    .unwrap();
    let run = attest(dir.path(), None);
    assert_eq!(run.code, 2, "{}", run.output());
    let message = run.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("models/ownerless/config.json: changed since the last commit"),
        "{message}"
    );
}
