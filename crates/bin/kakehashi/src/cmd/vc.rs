//! `kakehashi vc issue | verify`: W3C VC 2.0 secured with JOSE (`vc+jwt`, `vp+jwt`) on the
//! command line. Flags are documented in crates/vc-jose/CLI.md.
//!
//! This is the edge: it reads files and the clock, then calls the pure `kakehashi-vc-jose`
//! crate. Results go to stdout as JSON; a refusal is an error (exit 1), usage errors exit 2.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow, bail};
use kakehashi_core::JsonLimits;
use kakehashi_crypto::PublicJwk;
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_jose::UnverifiedJws;
use kakehashi_vc_jose::{
    CompiledSchema, ControlledIdentifierDocument, HolderBinding, KeyResolver, KeySource, SchemaSet,
    VerifiedCredential, VerifyOptions, check_open_badge, issue_vc_jwt, verify_vc_jwt,
    verify_vp_jwt,
};
use serde_json::{Map, Value};

use super::common::{now_or, pem_certificates, print_json, read_input, read_json};

/// The OB 3.0 AchievementCredential JSON Schema (1EdTech validator, draft-04), embedded for
/// `--open-badges`.
const OB3_SCHEMA: &str = include_str!(
    "../../../../vc-jose/testdata/open-badges/schemas/ob_v3p0_achievementcredential_schema_draft4.json"
);
/// The URL credentials use for that schema.
const OB3_SCHEMA_ID: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json";

/// Boxed arguments keep the top-level `Command` enum small.
#[derive(clap::Subcommand)]
pub enum VcCommand {
    /// Secure a credential JSON as a vc+jwt; prints the token on stdout.
    Issue(Box<IssueArgs>),
    /// Verify a vc+jwt or vp+jwt; prints the credential (or presentation) JSON on stdout.
    Verify(Box<VerifyArgs>),
}

#[derive(clap::Args)]
pub struct IssueArgs {
    /// Issuer private key as a JWK file (with "d").
    #[arg(long, value_name = "JWK_FILE")]
    issuer_key: PathBuf,
    /// PEM file with the issuer certificate chain (leaf first), sent as x5c.
    #[arg(long, value_name = "PEM_FILE")]
    x5c: Option<PathBuf>,
    /// The kid header (default: the issuer JWK's kid, if any).
    #[arg(long, value_name = "KID")]
    kid: Option<String>,
    /// The credential (VC 2.0 JSON); `-` for standard input.
    #[arg(value_name = "CREDENTIAL_JSON")]
    credential: PathBuf,
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The issuer's (for a vp+jwt: the holder's) public JWK. Without it the key comes from
    /// the x5c or jwk header (reported on stderr: trust is not evaluated here).
    #[arg(long, value_name = "JWK_FILE")]
    issuer_key: Option<PathBuf>,
    /// A JWK Set file ({"keys": [...]}) of issuer keys, matched by kid (credentials inside a
    /// presentation use it).
    #[arg(long, value_name = "JWKS_FILE")]
    keys: Option<PathBuf>,
    /// A controlled identifier document (e.g. a resolved did:web document): a kid naming one
    /// of its assertionMethod keys resolves for its own identifier. Repeat.
    #[arg(long, value_name = "FILE")]
    cid: Vec<PathBuf>,
    /// Check validity at this time instead of the system clock.
    #[arg(long, value_name = "UNIX_SECONDS", allow_hyphen_values = true)]
    now: Option<i64>,
    /// A JSON Schema for credentialSchema validation, registered under its "$id". Repeat.
    #[arg(long, value_name = "FILE")]
    schema: Vec<PathBuf>,
    /// Refuse a credential whose credentialSchema cannot be validated with the given schemas.
    #[arg(long)]
    require_schemas: bool,
    /// Also check the Open Badges 3.0 profile and the embedded OB 3.0 JSON Schema.
    #[arg(long)]
    open_badges: bool,
    /// For a vp+jwt: the nonce the presentation must carry.
    #[arg(long, value_name = "NONCE", requires = "aud")]
    nonce: Option<String>,
    /// For a vp+jwt: the audience (verifier id) the presentation must name.
    #[arg(long, value_name = "AUD", requires = "nonce")]
    aud: Option<String>,
    /// For a vp+jwt: do not check nonce/aud (the presentation could be a replay).
    #[arg(long, conflicts_with_all = ["nonce", "aud"])]
    danger_skip_binding: bool,
    /// The token; `-` or nothing for standard input.
    #[arg(value_name = "FILE")]
    input: Option<PathBuf>,
}

pub fn run(command: VcCommand) -> anyhow::Result<ExitCode> {
    match command {
        VcCommand::Issue(a) => issue(&a),
        VcCommand::Verify(a) => verify(&a),
    }
}

fn issue(a: &IssueArgs) -> anyhow::Result<ExitCode> {
    let jwk = read_json(&a.issuer_key)?;
    let mut signer = SoftwareSigner::from_private_jwk(&jwk)
        .with_context(|| format!("{} is not a usable private JWK", a.issuer_key.display()))?;
    if let Some(pem) = &a.x5c {
        signer = signer.with_certificate_chain(pem_certificates(pem)?);
    }
    let credential: Value = serde_json::from_slice(&read_input(Some(&a.credential))?)
        .with_context(|| format!("{} is not JSON", a.credential.display()))?;
    let mut header = Map::new();
    if let Some(kid) = &a.kid {
        header.insert("kid".into(), kid.clone().into());
    }
    let token = issue_vc_jwt(&credential, &signer, header).context("credential refused")?;
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

fn verify(a: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let input = read_input(a.input.as_deref())?;
    let token = std::str::from_utf8(&input)
        .context("input is not UTF-8")?
        .trim();
    let key = a.issuer_key.as_deref().map(public_key).transpose()?;
    let keys = Resolvers {
        keys: a
            .keys
            .as_deref()
            .map(key_set)
            .transpose()?
            .unwrap_or_default(),
        documents: a
            .cid
            .iter()
            .map(|p| {
                ControlledIdentifierDocument::parse(&read_json(p)?)
                    .with_context(|| format!("{} refused", p.display()))
            })
            .collect::<anyhow::Result<_>>()?,
    };
    let mut schemas = SchemaSet::new();
    for path in &a.schema {
        let document = read_json(path)?;
        let id = document
            .get("$id")
            .or_else(|| document.get("id"))
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("{}: schema has no \"$id\"", path.display()))?
            .to_owned();
        schemas.insert(CompiledSchema::compile(id, &document)?);
    }
    if a.open_badges {
        schemas.insert(open_badges_schema()?);
    }
    let mut options = VerifyOptions::at(now_or(a.now)).with_key_resolver(&keys);
    if let Some(key) = &key {
        options = options.with_key(key);
    }
    if !schemas.is_empty() {
        options = options.with_schemas(&schemas);
    }
    if a.require_schemas {
        options = options.require_schemas();
    }
    if is_presentation(token) {
        let binding = match (&a.nonce, &a.aud) {
            (Some(nonce), Some(audience)) => HolderBinding::Required { nonce, audience },
            _ if a.danger_skip_binding => HolderBinding::DangerNotChecked,
            _ => bail!("a vp+jwt needs --nonce and --aud (or --danger-skip-binding)"),
        };
        let verified =
            verify_vp_jwt(token, &provider(), &options, binding).context("presentation refused")?;
        note_key(
            "holder",
            verified.key_source(),
            verified.certificate_chain(),
        );
        for (i, credential) in verified.credentials().iter().enumerate() {
            note_key(
                &format!("credential {i}"),
                credential.key_source(),
                credential.certificate_chain(),
            );
            if a.open_badges {
                check_open_badge(credential.credential())
                    .with_context(|| format!("credential {i} refused"))?;
            }
        }
        print_json(&Value::Object(verified.presentation().document().clone()));
    } else {
        let verified: VerifiedCredential =
            verify_vc_jwt(token, &provider(), &options).context("credential refused")?;
        note_key(
            "issuer",
            verified.key_source(),
            verified.certificate_chain(),
        );
        if a.open_badges {
            check_open_badge(verified.credential()).context("credential refused")?;
        }
        print_json(&verified.credential().to_value());
    }
    Ok(ExitCode::SUCCESS)
}

/// The embedded OB 3.0 schema. It was written for VC 1.1 and requires `issuanceDate`, which
/// VC 2.0 renamed `validFrom`; that one name is adapted.
fn open_badges_schema() -> anyhow::Result<CompiledSchema> {
    let mut schema: Value = serde_json::from_str(OB3_SCHEMA).context("embedded OB 3.0 schema")?;
    if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
        for name in required.iter_mut() {
            if name == "issuanceDate" {
                *name = "validFrom".into();
            }
        }
    }
    Ok(CompiledSchema::compile(OB3_SCHEMA_ID, &schema)?)
}

/// A vp+jwt is told apart by its `typ`; anything else is verified as a vc+jwt (which
/// reports precisely what is wrong with it).
fn is_presentation(token: &str) -> bool {
    UnverifiedJws::parse_compact_with(token, JsonLimits::DEFAULT, &[])
        .ok()
        .and_then(|jws| jws.header().typ().map(str::to_ascii_lowercase))
        .is_some_and(|t| t.trim_start_matches("application/") == "vp+jwt")
}

/// Says on stderr where the verification key came from: trust is another command's job.
fn note_key(what: &str, source: &KeySource, chain: &[Vec<u8>]) {
    match source {
        KeySource::Given => {}
        KeySource::Resolved => eprintln!("note: {what} key found by kid in --keys / --cid"),
        KeySource::X5cLeaf => eprintln!(
            "note: {what} key taken from the x5c leaf ({} certificate(s)); the chain is not \
             evaluated here",
            chain.len()
        ),
        KeySource::HeaderJwk => {
            eprintln!("note: {what} key taken from the jwk header: self-asserted, not trusted")
        }
        _ => eprintln!("note: {what} key source {source:?}"),
    }
}

/// The keys given with `--keys` (by kid) and `--cid` (controlled identifier documents).
struct Resolvers {
    keys: Vec<PublicJwk>,
    documents: Vec<ControlledIdentifierDocument>,
}

impl KeyResolver for Resolvers {
    fn resolve(&self, kid: Option<&str>, issuer: Option<&str>) -> Option<PublicJwk> {
        self.keys
            .resolve(kid, issuer)
            .or_else(|| self.documents.iter().find_map(|d| d.resolve(kid, issuer)))
    }
}

/// A public JWK file; a private JWK is accepted and its "d" dropped.
fn public_key(path: &Path) -> anyhow::Result<PublicJwk> {
    let mut jwk = read_json(path)?;
    if let Some(obj) = jwk.as_object_mut() {
        obj.remove("d");
    }
    PublicJwk::from_json(&jwk).with_context(|| format!("{} is not a usable JWK", path.display()))
}

/// A JWK Set file.
fn key_set(path: &Path) -> anyhow::Result<Vec<PublicJwk>> {
    let set = read_json(path)?;
    let keys = set
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("{}: not a JWK Set (no \"keys\" array)", path.display()))?;
    keys.iter()
        .map(|k| {
            PublicJwk::from_json(k).with_context(|| format!("{}: unusable key", path.display()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schema_compiles() {
        assert_eq!(open_badges_schema().unwrap().id(), OB3_SCHEMA_ID);
    }

    #[test]
    fn presentation_detection() {
        let h =
            |typ: &str| kakehashi_core::b64::encode(format!(r#"{{"alg":"ES256","typ":"{typ}"}}"#));
        assert!(is_presentation(&format!("{}.e30.AAAA", h("vp+jwt"))));
        assert!(is_presentation(&format!(
            "{}.e30.AAAA",
            h("application/vp+jwt")
        )));
        assert!(!is_presentation(&format!("{}.e30.AAAA", h("vc+jwt"))));
        assert!(!is_presentation("not a token"));
    }
}
