//! `kakehashi sd-jwt issue | present | verify`: SD-JWT (RFC 9901) and SD-JWT VC on the
//! command line. Flags are documented in crates/sd-jwt/CLI.md.
//!
//! This is the edge: it reads files, the clock and OS randomness, then calls the pure
//! `kakehashi-sd-jwt` crate.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow, bail};
use kakehashi_core::JsonLimits;
use kakehashi_crypto::{HashAlgorithm, PublicJwk};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_sd_jwt::type_metadata::{ResolvedTypeMetadata, TypeMetadata, TypeMetadataResolver};
use kakehashi_sd_jwt::{
    ClaimPath, IssuerKey, KbJwtClaims, KeyBinding, Limits, SdJwt, SdJwtBuilder, Selection,
    VcVerifyOptions, VerifyOptions, verify_sd_jwt_vc_text,
};
use serde_json::Value;

use super::common::{now_or, pem_certificates, print_json, read_input, read_json};

/// Boxed arguments keep the top-level `Command` enum small.
#[derive(clap::Subcommand)]
pub enum SdJwtCommand {
    /// Issue an SD-JWT (or SD-JWT VC with --vct); prints it on stdout.
    Issue(Box<IssueArgs>),
    /// Make a presentation from an issued SD-JWT, optionally with a Key Binding JWT.
    Present(Box<PresentArgs>),
    /// Verify an SD-JWT / SD-JWT+KB / SD-JWT VC; prints the processed payload as JSON.
    Verify(Box<VerifyArgs>),
}

#[derive(clap::Args)]
pub struct IssueArgs {
    /// Issuer private key as a JWK file (with "d").
    #[arg(long, value_name = "JWK_FILE")]
    issuer_key: PathBuf,
    /// Claims as a JSON object file.
    #[arg(long, value_name = "CLAIMS_JSON")]
    claims: PathBuf,
    /// Make the claim at this JSON Pointer selectively disclosable (e.g. /address/street,
    /// /nationalities/0). Repeat; a claim inside a concealed claim gives recursive disclosures.
    #[arg(long = "sd", value_name = "PATH")]
    sd: Vec<String>,
    /// Make every top-level claim selectively disclosable except iss, iat, nbf, exp, cnf
    /// (and for a VC vct, vct#integrity, aka_vcts, status).
    #[arg(long)]
    sd_all_top_level: bool,
    /// Decoy digests added to every object with selectively disclosable claims.
    #[arg(long, value_name = "N", default_value_t = 0)]
    decoys: usize,
    /// Issue an SD-JWT VC of this type (typ dc+sd-jwt, vct claim, VC disclosure rules).
    #[arg(long, value_name = "VCT")]
    vct: Option<String>,
    /// Holder public (or private) JWK file: bound as cnf.jwk for Key Binding.
    #[arg(long, value_name = "JWK_FILE")]
    holder_key: Option<PathBuf>,
    /// PEM file with the issuer certificate chain (leaf first), sent as x5c.
    #[arg(long, value_name = "PEM_FILE")]
    x5c: Option<PathBuf>,
    /// The typ header (default: dc+sd-jwt with --vct, otherwise example+sd-jwt).
    #[arg(long, value_name = "T")]
    typ: Option<String>,
    /// The kid header (default: the issuer JWK's kid, if any).
    #[arg(long, value_name = "KID")]
    kid: Option<String>,
    /// iat in Unix seconds (default: now).
    #[arg(long, value_name = "UNIX_SECONDS", allow_hyphen_values = true)]
    iat: Option<i64>,
    /// exp in Unix seconds (default: none).
    #[arg(long, value_name = "UNIX_SECONDS", allow_hyphen_values = true)]
    exp: Option<i64>,
    /// _sd_alg.
    #[arg(long, value_name = "HASH", default_value = "sha-256", value_parser = ["sha-256", "sha-384", "sha-512"])]
    hash: String,
    /// Write the JWS JSON serialization (flattened) instead of the compact form.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct PresentArgs {
    /// Issuer public JWK file: verify the issued SD-JWT before presenting it (RFC 9901
    /// section 7.2). Without it the SD-JWT is only decoded.
    #[arg(long, value_name = "JWK_FILE")]
    issuer_key: Option<PathBuf>,
    /// Holder private JWK file; signs the KB-JWT (needs --nonce and --aud).
    #[arg(long, value_name = "JWK_FILE", requires_all = ["nonce", "aud"])]
    holder_key: Option<PathBuf>,
    /// Disclose the claim at this JSON Pointer, with what it contains; the disclosures of
    /// its parents are included. Repeat. Without any, nothing selectively disclosable is shown.
    #[arg(long, value_name = "PATH")]
    disclose: Vec<String>,
    /// Verifier nonce for the KB-JWT.
    #[arg(long, value_name = "N", requires = "holder_key")]
    nonce: Option<String>,
    /// Verifier identifier (aud) for the KB-JWT.
    #[arg(long, value_name = "A", requires = "holder_key")]
    aud: Option<String>,
    /// KB-JWT iat in Unix seconds (default: now).
    #[arg(long, value_name = "UNIX_SECONDS", allow_hyphen_values = true)]
    now: Option<i64>,
    /// The issued SD-JWT (compact or JSON); `-` or nothing for stdin.
    #[arg(value_name = "FILE")]
    input: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Issuer public JWK file. Without it (and without --issuer-metadata) the key of the
    /// x5c leaf certificate is used, and a warning says the chain was not validated.
    #[arg(long, value_name = "JWK_FILE", conflicts_with = "issuer_metadata")]
    issuer_key: Option<PathBuf>,
    /// JWT VC Issuer Metadata file (/.well-known/jwt-vc-issuer content, with jwks).
    #[arg(long, value_name = "FILE")]
    issuer_metadata: Option<PathBuf>,
    /// Expected KB-JWT nonce.
    #[arg(long, value_name = "N")]
    nonce: Option<String>,
    /// Expected KB-JWT audience.
    #[arg(long, value_name = "A")]
    aud: Option<String>,
    /// Verification time in Unix seconds (default: now). Use for old vectors.
    #[arg(long, value_name = "UNIX_SECONDS", allow_hyphen_values = true)]
    now: Option<i64>,
    /// Maximum KB-JWT age in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    kb_max_age: i64,
    /// Require Key Binding even if the input has no KB-JWT.
    #[arg(long)]
    require_kb: bool,
    /// Accept the legacy SD-JWT VC typ vc+sd-jwt.
    #[arg(long)]
    legacy_typ: bool,
    /// Require an SD-JWT VC: a credential of any other typ is rejected instead of being
    /// verified as a plain SD-JWT.
    #[arg(long)]
    vc: bool,
    /// Type Metadata file(s) for the credential's vct (and types it extends); enforces the
    /// claims' sd rules. Repeat.
    #[arg(long, value_name = "FILE")]
    type_metadata: Vec<PathBuf>,
    /// The SD-JWT or SD-JWT+KB (compact or JSON); `-` or nothing for stdin.
    #[arg(value_name = "FILE")]
    input: Option<PathBuf>,
}

pub fn run(command: SdJwtCommand) -> anyhow::Result<ExitCode> {
    match command {
        SdJwtCommand::Issue(a) => issue(*a),
        SdJwtCommand::Present(a) => present(*a),
        SdJwtCommand::Verify(a) => verify(*a),
    }
}

fn read_text(path: Option<&Path>) -> anyhow::Result<String> {
    let bytes = read_input(path)?;
    let text = String::from_utf8(bytes).context("input is not UTF-8")?;
    Ok(text.trim().to_owned())
}

fn signer(path: &Path) -> anyhow::Result<SoftwareSigner> {
    let jwk = read_json(path)?;
    SoftwareSigner::from_private_jwk(&jwk)
        .with_context(|| format!("{} is not a private JWK", path.display()))
}

fn public_key(path: &Path) -> anyhow::Result<PublicJwk> {
    let mut jwk = read_json(path)?;
    if let Some(obj) = jwk.as_object_mut() {
        obj.remove("d");
    }
    PublicJwk::from_json(&jwk).with_context(|| format!("{} is not a supported JWK", path.display()))
}

fn issue(a: IssueArgs) -> anyhow::Result<ExitCode> {
    let Value::Object(mut claims) = read_json(&a.claims)? else {
        bail!("{} is not a JSON object", a.claims.display());
    };
    let mut signer = signer(&a.issuer_key)?;
    if let Some(pem) = &a.x5c {
        signer = signer.with_certificate_chain(pem_certificates(pem)?);
    }
    claims.insert(
        "iat".into(),
        Value::from(a.iat.unwrap_or_else(|| now_or(None).seconds())),
    );
    if let Some(exp) = a.exp {
        claims.insert("exp".into(), Value::from(exp));
    }
    let root = Value::Object(claims.clone());
    let mut builder = match &a.vct {
        Some(vct) => SdJwtBuilder::sd_jwt_vc(claims, vct),
        None => SdJwtBuilder::new(claims).typ("example+sd-jwt"),
    };
    if let Some(typ) = &a.typ {
        builder = builder.typ(typ);
    }
    let kid = a.kid.clone().or_else(|| {
        kakehashi_crypto::Signer::public_jwk(&signer)
            .kid()
            .map(str::to_owned)
    });
    if let Some(kid) = kid {
        builder = builder.header_member("kid", Value::String(kid));
    }
    for pointer in &a.sd {
        builder = builder.conceal(ClaimPath::from_pointer(pointer, &root)?);
    }
    if a.sd_all_top_level {
        builder = builder.conceal_all_top_level();
    }
    if let Some(holder) = &a.holder_key {
        builder = builder.holder_key(public_key(holder)?);
    }
    let hash = HashAlgorithm::from_iana(&a.hash).map_err(|e| anyhow!("{e}"))?;
    builder = builder.decoys_per_object(a.decoys).hash_algorithm(hash);
    // Salts and decoys from the operating system's CSPRNG; a failure aborts the issuance.
    let mut rng_failed = false;
    let mut fill = |buf: &mut [u8]| {
        if aws_lc_rs::rand::fill(buf).is_err() {
            rng_failed = true;
        }
    };
    let issued = builder.issue(&provider(), &signer, &mut fill)?;
    if rng_failed {
        bail!("the operating system's random number generator failed");
    }
    if a.json {
        println!("{}", issued.to_json(true));
    } else {
        println!("{}", issued.to_compact());
    }
    Ok(ExitCode::SUCCESS)
}

fn present(a: PresentArgs) -> anyhow::Result<ExitCode> {
    let text = read_text(a.input.as_deref())?;
    let p = provider();
    let sd_jwt = SdJwt::parse(&text, Limits::DEFAULT)?;
    if let Some(key) = &a.issuer_key {
        let options = VerifyOptions::new(now_or(a.now));
        SdJwt::parse_and_verify(&text, &p, &public_key(key)?, &options)
            .context("the issued SD-JWT does not verify")?;
    }
    let decoded = sd_jwt.decode(&p, Limits::DEFAULT)?;
    let root = Value::Object(decoded.claims().clone());
    let paths = a
        .disclose
        .iter()
        .map(|ptr| ClaimPath::from_pointer(ptr, &root))
        .collect::<Result<Vec<_>, _>>()?;
    let mut presentation =
        sd_jwt.present(&p, &paths, Selection::WithDescendants, Limits::DEFAULT)?;
    if let (Some(holder), Some(nonce), Some(aud)) = (&a.holder_key, a.nonce, a.aud) {
        let kb = KbJwtClaims {
            audience: aud,
            nonce,
            issued_at: now_or(a.now),
        };
        presentation = presentation.bind(&p, &signer(holder)?, &kb, Limits::DEFAULT)?;
    }
    println!("{}", presentation.serialize());
    Ok(ExitCode::SUCCESS)
}

/// Type Metadata documents given on the command line, by their `vct`.
struct Files(HashMap<String, Vec<u8>>);

impl TypeMetadataResolver for Files {
    fn resolve(&mut self, uri: &str) -> Result<Vec<u8>, String> {
        self.0
            .get(uri)
            .cloned()
            .ok_or_else(|| "no --type-metadata file declares this vct".to_owned())
    }
}

fn verify(a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let text = read_text(a.input.as_deref())?;
    let p = provider();
    // Parsed to choose the options (KB-JWT, key source, typ, `vct`); the verification below
    // runs on the text, through the one-step entry point the verifier uses.
    let sd_jwt = SdJwt::parse(&text, Limits::DEFAULT)?;
    let mut options = VerifyOptions::new(now_or(a.now));
    options.kb_max_age_seconds = a.kb_max_age;
    if sd_jwt.kb_jwt().is_some() || a.require_kb || a.nonce.is_some() || a.aud.is_some() {
        let (Some(nonce), Some(audience)) = (a.nonce.as_deref(), a.aud.as_deref()) else {
            bail!("the presentation has (or must have) a KB-JWT: pass --nonce and --aud");
        };
        options.key_binding = KeyBinding::Required { nonce, audience };
    }
    let key_file = a.issuer_key.as_deref().map(public_key).transpose()?;
    let metadata = a.issuer_metadata.as_deref().map(read_json).transpose()?;
    let issuer_key = match (&key_file, &metadata) {
        (Some(k), _) => IssuerKey::Jwk(k),
        (None, Some(m)) => IssuerKey::Metadata(m),
        (None, None) => {
            if sd_jwt.header().member("x5c").is_none() {
                bail!("no --issuer-key or --issuer-metadata, and the SD-JWT has no x5c header");
            }
            IssuerKey::X5c
        }
    };
    let typ = sd_jwt
        .header()
        .typ()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let is_vc = typ.ends_with("dc+sd-jwt")
        || (a.legacy_typ && typ.ends_with("vc+sd-jwt"))
        || !a.type_metadata.is_empty()
        || a.vc;
    if !is_vc {
        let key = match issuer_key {
            IssuerKey::Jwk(k) => k.clone(),
            IssuerKey::X5c => {
                let chain = sd_jwt.header().x5c()?;
                let leaf = chain.first().ok_or_else(|| anyhow!("empty x5c"))?;
                PublicJwk::from_certificate_der(leaf)?
            }
            IssuerKey::Metadata(_) => {
                bail!("--issuer-metadata applies to SD-JWT VCs (typ dc+sd-jwt)")
            }
        };
        // The text is verified in one step, as the verifier does (it parsed above: the
        // errors from here on are the verification's).
        let verified = SdJwt::parse_and_verify(&text, &p, &key, &options)?;
        if matches!(issuer_key, IssuerKey::X5c) {
            eprintln!(
                "warning: issuer key taken from the x5c leaf; the certificate chain is untrusted (not validated)"
            );
        }
        print_json(&Value::Object(verified.into_claims()));
        return Ok(ExitCode::SUCCESS);
    }
    let mut docs = HashMap::new();
    for file in &a.type_metadata {
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let doc = TypeMetadata::parse(&bytes, JsonLimits::DEFAULT)?;
        docs.insert(doc.vct, bytes);
    }
    let resolved = if docs.is_empty() {
        None
    } else {
        let claims = sd_jwt.unverified_payload(JsonLimits::DEFAULT)?;
        let vct = claims
            .get("vct")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("no vct claim"))?;
        let integrity = claims.get("vct#integrity").and_then(Value::as_str);
        Some(ResolvedTypeMetadata::resolve(
            vct,
            integrity,
            &mut Files(docs),
            &p,
            JsonLimits::DEFAULT,
        )?)
    };
    let mut vc_options = VcVerifyOptions::new(options);
    vc_options.accept_legacy_typ = a.legacy_typ;
    vc_options.type_metadata = resolved.as_ref();
    let verified = verify_sd_jwt_vc_text(&text, &p, issuer_key, &vc_options)?;
    if !verified.untrusted_x5c().is_empty() {
        eprintln!(
            "warning: issuer key taken from the x5c leaf; the certificate chain ({} certificates) is untrusted (not validated)",
            verified.untrusted_x5c().len()
        );
    }
    print_json(&Value::Object(verified.claims().clone()));
    Ok(ExitCode::SUCCESS)
}
