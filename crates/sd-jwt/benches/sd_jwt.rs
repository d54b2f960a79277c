//! Issue, present and verify a 10-claim SD-JWT VC, against the floor of two raw ES256
//! verifications (issuer JWT + KB-JWT). Target: verify <= 1.1 x floor.
//!
//! cargo bench -p kakehashi-sd-jwt --bench sd_jwt

#![allow(clippy::unwrap_used)] // benchmark setup: a failed unwrap is a broken benchmark

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto::{CryptoProvider, SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_sd_jwt::{
    ClaimPath, IssuerKey, KbJwtClaims, KeyBinding, Limits, SdJwt, SdJwtBuilder, Selection,
    VcVerifyOptions, VerifyOptions, verify_sd_jwt_vc, verify_sd_jwt_vc_text,
};
use serde_json::{Map, Value, json};

/// The allocator the `kakehashi` binary runs with, so the bench measures what it runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const NOW: UnixTime = UnixTime(1_800_000_000);

fn claims() -> Map<String, Value> {
    let v = json!({
        "iss": "https://www.tohoku.ac.jp", "iat": 1_790_000_000, "exp": 1_900_000_000,
        "given_name": "Hanako", "family_name": "Yamada", "birthdate": "2001-04-02",
        "student_id": "B9TB1234", "degree": "Bachelor of Engineering",
        "degree_ja": "学士（工学）", "field_of_study": "Information Science",
        "date_awarded": "2024-03-25", "gpa": 3.6, "eqf_level": 6
    });
    v.as_object().unwrap().clone()
}

fn fill(buf: &mut [u8]) {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    buf.fill(0x5a);
    buf[..8].copy_from_slice(&n.to_le_bytes());
}

fn issue(issuer: &SoftwareSigner, holder: &SoftwareSigner) -> SdJwt {
    SdJwtBuilder::sd_jwt_vc(claims(), "https://kakehashi.example/degree")
        .conceal_all_top_level()
        .holder_key(holder.public_jwk().clone())
        .issue(&provider(), issuer, &mut fill)
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let p = provider();
    let issuer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let holder = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let issued = issue(&issuer, &holder);
    assert_eq!(issued.disclosures().len(), 10);
    let all: Vec<ClaimPath> = issued
        .decode(&p, Limits::DEFAULT)
        .unwrap()
        .disclosure_paths()
        .to_vec();
    let kb = KbJwtClaims {
        audience: "https://verifier.example".into(),
        nonce: "n-0123456789".into(),
        issued_at: NOW,
    };
    let present = || {
        issued
            .present(&p, &all, Selection::Exact, Limits::DEFAULT)
            .unwrap()
            .bind(&p, &holder, &kb, Limits::DEFAULT)
            .unwrap()
            .to_compact()
    };
    let presentation = present();
    let mut base = VerifyOptions::new(NOW);
    base.key_binding = KeyBinding::Required {
        nonce: "n-0123456789",
        audience: "https://verifier.example",
    };
    let options = VcVerifyOptions::new(base);
    // What a verifier does with a presentation it received as text: one call.
    let verify = |text: &str| {
        verify_sd_jwt_vc_text(text, &p, IssuerKey::Jwk(issuer.public_jwk()), &options).unwrap()
    };
    // The same in two steps (parse, then verify the parsed SD-JWT): the general path.
    let verify_two_step = |text: &str| {
        let sd_jwt = SdJwt::parse(text, Limits::DEFAULT).unwrap();
        verify_sd_jwt_vc(sd_jwt, &p, IssuerKey::Jwk(issuer.public_jwk()), &options).unwrap()
    };
    assert_eq!(verify(&presentation).claims().len(), 15); // 13 claims + vct + cnf
    assert_eq!(
        format!("{:?}", verify(&presentation)),
        format!("{:?}", verify_two_step(&presentation))
    );

    // The floor: the two signature checks any verifier must do.
    let jwt = issued.issuer_jwt();
    let (jwt_input, jwt_sig) = jwt.rsplit_once('.').unwrap();
    let jwt_sig = b64::decode(jwt_sig).unwrap();
    let kb_jwt = presentation.rsplit('~').next().unwrap();
    let (kb_input, kb_sig) = kb_jwt.rsplit_once('.').unwrap();
    let kb_sig = b64::decode(kb_sig).unwrap();
    let (ik, hk) = (issuer.public_jwk().clone(), holder.public_jwk().clone());
    let floor = || {
        p.verify_signature(
            SignatureAlgorithm::Es256,
            &ik,
            black_box(jwt_input.as_bytes()),
            &jwt_sig,
        )
        .unwrap();
        p.verify_signature(
            SignatureAlgorithm::Es256,
            &hk,
            black_box(kb_input.as_bytes()),
            &kb_sig,
        )
        .unwrap();
    };

    let mut g = c.benchmark_group("sd_jwt_vc_10_claims");
    g.bench_function("issue", |b| b.iter(|| black_box(issue(&issuer, &holder))));
    g.bench_function("present_with_kb", |b| b.iter(|| black_box(present())));
    g.bench_function("verify_presentation", |b| {
        b.iter(|| black_box(verify(black_box(&presentation))))
    });
    g.bench_function("verify_presentation_two_step", |b| {
        b.iter(|| black_box(verify_two_step(black_box(&presentation))))
    });
    // The same verification with the two signature checks replaced by no-ops: what the
    // SD-JWT layer adds on top of the floor (parsing, hashing, Disclosures, KB-JWT claims).
    let no_signatures = CryptoProvider {
        name: "bench: signatures not checked",
        verify: |_, _, _, _| Ok(()),
        verify_and_digest: None,
        ..provider()
    };
    g.bench_function("verify_presentation_overhead_only", |b| {
        b.iter(|| {
            black_box(
                verify_sd_jwt_vc_text(
                    black_box(&presentation),
                    &no_signatures,
                    IssuerKey::Jwk(issuer.public_jwk()),
                    &options,
                )
                .unwrap(),
            )
        })
    });
    // Everything but the signatures: parse, hash and apply the Disclosures (holder view).
    g.bench_function("parse_and_decode_no_signatures", |b| {
        b.iter(|| {
            let sd_jwt = SdJwt::parse(black_box(&presentation), Limits::DEFAULT).unwrap();
            black_box(sd_jwt.decode(&p, Limits::DEFAULT).unwrap())
        })
    });
    g.bench_function("floor_two_es256_verifies", |b| b.iter(floor));
    g.finish();

    // Where the overhead goes (each piece of verify_presentation_overhead_only on its own).
    let parsed = SdJwt::parse(&presentation, Limits::DEFAULT).unwrap();
    let mut parts = c.benchmark_group("sd_jwt_vc_10_claims_breakdown");
    parts.bench_function("parse_presentation", |b| {
        b.iter(|| black_box(SdJwt::parse(black_box(&presentation), Limits::DEFAULT).unwrap()))
    });
    parts.bench_function("parse_issuer_payload", |b| {
        b.iter(|| black_box(parsed.unverified_payload(Limits::DEFAULT.json).unwrap()))
    });
    parts.bench_function("digest_10_disclosures", |b| {
        b.iter(|| {
            for d in parsed.disclosures() {
                black_box(d.digest(&p, kakehashi_crypto::HashAlgorithm::Sha256));
            }
        })
    });
    parts.bench_function("sd_hash", |b| {
        b.iter(|| {
            let input = parsed.sd_hash_input();
            black_box(b64::encode(p.digest(
                kakehashi_crypto::HashAlgorithm::Sha256,
                input.as_bytes(),
            )))
        })
    });
    parts.bench_function("parse_kb_jwt_and_claims", |b| {
        b.iter(|| {
            let kb = kakehashi_jose::UnverifiedJws::parse_compact(black_box(kb_jwt)).unwrap();
            black_box(kb.unverified_claims(Limits::DEFAULT.json).unwrap())
        })
    });
    parts.finish();

    // On a shared machine the load drifts between criterion's groups; alternating short
    // batches of both measurements gives a ratio that drift cannot skew.
    let no_signature_check = || {
        black_box(
            verify_sd_jwt_vc_text(
                black_box(&presentation),
                &no_signatures,
                IssuerKey::Jwk(issuer.public_jwk()),
                &options,
            )
            .unwrap(),
        );
    };
    let m = interleaved(&[
        &|| {
            black_box(verify(black_box(&presentation)));
        },
        &floor,
        &no_signature_check,
        &|| {
            black_box(verify_two_step(black_box(&presentation)));
        },
    ]);
    println!(
        "interleaved medians: verify_presentation {:.1} us, floor (2x ES256) {:.1} us, \
         overhead only {:.1} us, two-step (general path) {:.1} us; verify/floor = {:.3}, \
         two-step/floor = {:.3}",
        m[0],
        m[1],
        m[2],
        m[3],
        m[0] / m[1],
        m[3] / m[1]
    );
}

/// Median microseconds per call of each closure over alternating batches.
#[allow(clippy::disallowed_methods)] // a benchmark measures time; the crate itself never does
fn interleaved(fs: &[&dyn Fn()]) -> Vec<f64> {
    const ROUNDS: usize = 200;
    const BATCH: u32 = 10;
    let time = |f: &dyn Fn()| {
        let start = std::time::Instant::now();
        for _ in 0..BATCH {
            f();
        }
        start.elapsed().as_secs_f64() * 1e6 / f64::from(BATCH)
    };
    let mut times = vec![Vec::with_capacity(ROUNDS); fs.len()];
    for _ in 0..ROUNDS {
        for (f, t) in fs.iter().zip(&mut times) {
            t.push(time(*f));
        }
    }
    times
        .into_iter()
        .map(|mut v| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect()
}

criterion_group!(benches, bench);
criterion_main!(benches);
