//! The PKCS#11 signer against a real module: SoftHSM2 with a token made for the test.
//!
//! SoftHSM reads `SOFTHSM2_CONF` when the library initialises, and setting an environment
//! variable inside a running test is `unsafe` (and racy), so [`softhsm_signer`] builds the token
//! in a temporary directory and runs [`softhsm_child`] in a child process with the variable set.
//! Without the module the test fails, unless `KAKEHASHI_SKIP_PKCS11=1`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::{Path, PathBuf};
use std::process::Command;

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use kakehashi_core::UnixTime;
use kakehashi_crypto::{CryptoError, HashAlgorithm, SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_crypto_pkcs11::{KeyRef, Pkcs11Error, Pkcs11Module, pin_from_env};
use kakehashi_sd_jwt::{
    ClaimPath, IssuerKey, Limits, SdJwt, SdJwtBuilder, Selection, VcVerifyOptions, VerifyOptions,
    verify_sd_jwt_vc,
};
use serde_json::{Map, Value, json};

const DEFAULT_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const TOKEN: &str = "kakehashi-test";
const PIN: &str = "314159";
const SO_PIN: &str = "271828";
const PIN_ENV: &str = "KAKEHASHI_TEST_HSM_PIN";
const CHILD_ENV: &str = "KAKEHASHI_PKCS11_CHILD_MODULE";
const DONE: &str = "softhsm scenario complete";
const KEY_ID: [u8; 2] = [0x5e, 0xa1];
const NOW: UnixTime = UnixTime(1_800_000_000);
const P256_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

fn module_path() -> PathBuf {
    std::env::var_os("KAKEHASHI_PKCS11_MODULE").map_or_else(|| DEFAULT_MODULE.into(), Into::into)
}

#[test]
fn softhsm_signer() {
    let module = module_path();
    if !module.exists() {
        if std::env::var("KAKEHASHI_SKIP_PKCS11").as_deref() == Ok("1") {
            eprintln!(
                "SKIPPED: no PKCS#11 module at {} (KAKEHASHI_SKIP_PKCS11=1)",
                module.display()
            );
            return;
        }
        panic!(
            "no PKCS#11 module at {}: install the Debian package softhsm2 (scripts/lib/deps.sh \
             does), point KAKEHASHI_PKCS11_MODULE at another module, or set \
             KAKEHASHI_SKIP_PKCS11=1 to skip",
            module.display()
        );
    }
    // Deleted on drop, also when the test fails.
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    let init = Command::new("softhsm2-util")
        .env("SOFTHSM2_CONF", &conf)
        .args(["--init-token", "--free", "--label", TOKEN])
        .args(["--pin", PIN, "--so-pin", SO_PIN])
        .output()
        .expect("softhsm2-util (Debian package softhsm2) must be on PATH");
    assert!(
        init.status.success(),
        "softhsm2-util --init-token: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let child = Command::new(std::env::current_exe().unwrap())
        .env("SOFTHSM2_CONF", &conf)
        .env(CHILD_ENV, &module)
        .env(PIN_ENV, PIN)
        .args(["softhsm_child", "--exact", "--ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    let stderr = String::from_utf8_lossy(&child.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(child.status.success(), "the SoftHSM scenario failed");
    // The child ran the whole scenario, not an empty filter.
    assert!(
        stdout.contains(DONE),
        "the child did not finish the scenario"
    );
}

#[test]
#[ignore = "run by softhsm_signer in a child process with SOFTHSM2_CONF set"]
fn softhsm_child() {
    let Some(module_path) = std::env::var_os(CHILD_ENV) else {
        eprintln!("softhsm_child only runs under softhsm_signer (it needs SOFTHSM2_CONF)");
        return;
    };
    let module = Pkcs11Module::open(Path::new(&module_path)).unwrap();
    let seal = KeyRef::Label("university-seal".into());
    let pin = || pin_from_env(PIN_ENV).unwrap();

    // Typed errors before the key exists: a wrong PIN, an unknown token, a missing PIN.
    let wrong = module.signer(TOKEN, AuthPin::from("000000"), &seal, 1);
    assert!(matches!(wrong, Err(Pkcs11Error::PinIncorrect)), "{wrong:?}");
    let no_token = module.signer("no-such-token", pin(), &seal, 1);
    assert!(
        matches!(no_token, Err(Pkcs11Error::TokenNotFound { .. })),
        "{no_token:?}"
    );
    assert!(matches!(
        pin_from_env("KAKEHASHI_TEST_UNSET_PIN_VARIABLE"),
        Err(Pkcs11Error::PinMissing { .. })
    ));
    let missing = module.signer(TOKEN, pin(), &seal, 1);
    assert!(
        matches!(&missing, Err(Pkcs11Error::KeyNotFound { key }) if *key == seal),
        "{missing:?}"
    );

    // Provision: generate a P-256 pair on the token, sensitive and not extractable.
    let ctx = module.context();
    let slot = module.slot_by_token_label(TOKEN).unwrap();
    {
        let session = ctx.open_rw_session(slot).unwrap();
        session.login(UserType::User, Some(&pin())).unwrap();
        let label = Attribute::Label(b"university-seal".to_vec());
        let (_, private) = session
            .generate_key_pair(
                &Mechanism::EccKeyPairGen,
                &[
                    Attribute::Token(true),
                    Attribute::Private(false),
                    Attribute::EcParams(P256_PARAMS.to_vec()),
                    Attribute::Verify(true),
                    label.clone(),
                    Attribute::Id(KEY_ID.to_vec()),
                ],
                &[
                    Attribute::Token(true),
                    Attribute::Private(true),
                    Attribute::Sensitive(true),
                    Attribute::Extractable(false),
                    Attribute::Sign(true),
                    label,
                    Attribute::Id(KEY_ID.to_vec()),
                ],
            )
            .unwrap();
        // The private value cannot be read out.
        let info = session
            .get_attribute_info(private, &[AttributeType::Value])
            .unwrap();
        assert!(matches!(info[..], [AttributeInfo::Sensitive]), "{info:?}");
        let read = session
            .get_attributes(private, &[AttributeType::Value, AttributeType::Extractable])
            .unwrap();
        assert!(!read.iter().any(|a| matches!(a, Attribute::Value(_))));
        assert!(read.contains(&Attribute::Extractable(false)), "{read:?}");
        let found = session
            .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)])
            .unwrap();
        assert_eq!(found, vec![private]);
    }

    let by_id = module
        .signer(TOKEN, pin(), &KeyRef::Id(vec![0x00]), 1)
        .unwrap_err();
    assert!(
        matches!(by_id, Pkcs11Error::KeyNotFound { .. }),
        "{by_id:?}"
    );
    let signer = module.signer(TOKEN, pin(), &seal, 2).unwrap();
    assert_eq!(signer.algorithm(), SignatureAlgorithm::Es256);
    let same = module
        .signer(TOKEN, pin(), &KeyRef::Id(KEY_ID.to_vec()), 1)
        .unwrap();
    assert_eq!(same.public_jwk(), signer.public_jwk());
    // The Debug output names the key, never the PIN.
    assert!(!format!("{signer:?}").contains(PIN));

    // Raw r || s, verified by aws-lc-rs as JWS ES256.
    let p = provider();
    let sig = signer.sign(b"kakehashi").unwrap();
    assert_eq!(sig.len(), 64);
    p.verify_signature(
        SignatureAlgorithm::Es256,
        signer.public_jwk(),
        b"kakehashi",
        &sig,
    )
    .unwrap();
    assert_eq!(
        p.verify_signature(
            SignatureAlgorithm::Es256,
            signer.public_jwk(),
            b"kakehashI",
            &sig
        ),
        Err(CryptoError::BadSignature)
    );

    // Throughput, printed for BENCHMARKS-style notes (not asserted: machines differ).
    #[allow(clippy::disallowed_methods)] // an edge test timing a real module
    {
        let software = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        for (name, s) in [
            ("pkcs11-softhsm2", &signer as &dyn Signer),
            ("software", &software),
        ] {
            let start = std::time::Instant::now();
            for i in 0..200u32 {
                s.sign(&i.to_be_bytes()).unwrap();
            }
            let per = start.elapsed() / 200;
            println!("ES256 sign {name}: {per:?} per signature (200 sequential)");
        }
    }

    // Concurrent signatures share two sessions.
    std::thread::scope(|s| {
        for t in 0..6u8 {
            let (signer, p) = (&signer, &p);
            s.spawn(move || {
                for i in 0..5u8 {
                    let msg = [t, i];
                    let sig = signer.sign(&msg).unwrap();
                    p.verify_signature(SignatureAlgorithm::Es256, signer.public_jwk(), &msg, &sig)
                        .unwrap();
                }
            });
        }
    });

    // An SD-JWT VC sealed on the token, with an x5c chain from a CA, verified as any other.
    let chain = certify(signer.public_jwk());
    let kid = signer.public_jwk().thumbprint(&p, HashAlgorithm::Sha256);
    let signer = signer
        .with_certificate_chain(chain.clone())
        .with_kid(kid.clone());
    let mut claims = Map::new();
    claims.insert("iss".into(), json!("https://university.example"));
    claims.insert("iat".into(), json!(NOW.0 - 10));
    claims.insert("given_name".into(), json!("Hanako"));
    claims.insert("family_name".into(), json!("Yamada"));
    let mut counter = 0u8;
    let mut fill = |buf: &mut [u8]| {
        for b in buf {
            counter = counter.wrapping_add(1);
            *b = counter;
        }
    };
    let vc = SdJwtBuilder::sd_jwt_vc(claims, "https://kakehashi.example/diploma")
        .conceal_all_top_level()
        .header_member("kid", Value::String(kid.clone()))
        .issue(&p, &signer, &mut fill)
        .unwrap();
    let text = vc
        .present(
            &p,
            &[ClaimPath::top("family_name")],
            Selection::WithDescendants,
            Limits::DEFAULT,
        )
        .unwrap()
        .to_compact();
    let options = VcVerifyOptions::new(VerifyOptions::new(NOW));
    let verified = verify_sd_jwt_vc(
        SdJwt::parse(&text, Limits::DEFAULT).unwrap(),
        &p,
        IssuerKey::X5c,
        &options,
    )
    .unwrap();
    assert_eq!(verified.untrusted_x5c(), &chain[..]);
    assert_eq!(verified.claims()["family_name"], "Yamada");
    assert!(!verified.claims().contains_key("given_name"));
    verify_sd_jwt_vc(
        SdJwt::parse(&text, Limits::DEFAULT).unwrap(),
        &p,
        IssuerKey::Jwk(signer.public_jwk()),
        &options,
    )
    .unwrap();
    // Another key does not verify it: the signature really is the token's.
    let other = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    assert!(
        verify_sd_jwt_vc(
            SdJwt::parse(&text, Limits::DEFAULT).unwrap(),
            &p,
            IssuerKey::Jwk(other.public_jwk()),
            &options,
        )
        .is_err()
    );
    println!("{DONE}");
}

/// A test CA certifies the HSM's public key from its SPKI alone, the way a CA answers a CSR:
/// the private key is never needed.
fn certify(key: &kakehashi_crypto::PublicJwk) -> Vec<Vec<u8>> {
    let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Kakehashi HSM test CA");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let subject = HsmPublicKey(key.public_key_bytes());
    let mut leaf = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.distinguished_name
        .push(rcgen::DnType::CommonName, "University seal (HSM)");
    let issuer = rcgen::Issuer::new(ca_params, &ca_key);
    let cert = leaf.signed_by(&subject, &issuer).unwrap();
    vec![cert.der().to_vec(), ca.der().to_vec()]
}

/// The HSM key's uncompressed point, as rcgen takes a subject key it does not hold.
struct HsmPublicKey(Vec<u8>);

impl rcgen::PublicKeyData for HsmPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}
