//! Generator of the Kakehashi test PKIs and signed test lists: the trust crate's committed
//! fixtures (`crates/trust/testdata/fixtures`, `cargo run -p kakehashi-trust --example
//! gen-testdata -- OUT_DIR`, re-run by `tests/fixtures.rs` on every `cargo test`) and the fresh
//! world `kakehashi pilot` creates at start, with list dates around "now" and list locations on
//! the pilot's loopback registry ([`Params`]).
//!
//! An edge crate: key generation uses the operating system's randomness. Test keys only.
//!
//! Keys are fresh on every run (rcgen/aws-lc randomness) and ECDSA signatures are randomised,
//! so the bytes differ between runs; names, dates, extensions and list content are fixed.
//!
//! ```text
//! EU side                                   JP side
//! eu-lotl-signer ─signs─▶ lotl.xml ─points─▶ BE.xml, JP.xml (MRA pointer)
//! be-tl-signer   ─signs─▶ BE.xml: Test QTSP Root CA (CA/QC granted, ForeSeals)
//!                                 Test QTSP Old CA (granted 2020, withdrawn 2025-06-01)
//! Test QTSP Root CA ─▶ eu-university-seal (QcCompliance, QcType eseal, QcSSCD, QCP-l-qscd,
//!                                          VATBE-0123456789)
//! Test QTSP Old CA  ─▶ eu-old-seal
//! jplist-signer  ─signs─▶ JP.xml: JP e-seal CA (ESealCA-Accredited), JP TSA, university
//! JP Accredited e-Seal CA ─▶ jp-university-seal (NTRJP-7123456789012, QcCClegislation JP,
//!                                                QcType eseal)
//! ```

// A generator of test material: a failure is a bug in the generator, reported by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_arguments)]

use std::path::Path;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use kakehashi_trust::UnixTime;
use kakehashi_trust::publish::{ListDescription, ListSignatureAlgorithm, ListSigner, publish};
pub mod node;

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SerialNumber,
};

/// Name of the fictional Japanese pilot university (English).
pub const JP_UNIVERSITY_NAME_EN: &str = "Morinomiyako National University";
/// Its name in Japanese.
pub const JP_UNIVERSITY_NAME_JA: &str = "国立大学法人杜の都大学";
/// Name of the fictional Belgian pilot university.
pub const EU_UNIVERSITY_NAME: &str = "University of Brabant-Leuven";
/// Corporate Number of the fictional Japanese university (check digit valid).
pub const JP_UNIVERSITY_CORPORATE_NUMBER: &str = "7123456789012";
/// Its fictional MEXT school code (national university, Miyagi).
pub const JP_UNIVERSITY_SCHOOL_CODE: &str = "F104190000017";
/// organizationIdentifier of the fictional Belgian university.
pub const EU_UNIVERSITY_ORG_ID: &str = "VATBE-0123456789";
/// The time the committed fixture lists are issued and signed.
pub const ISSUE: &str = "2026-11-01T00:00:00Z";
/// Their next update.
pub const NEXT_UPDATE: &str = "2027-05-01T00:00:00Z";
/// Where the committed fixture lists say they are published.
pub const FIXTURE_LIST_BASE: &str = "https://kakehashi.example/tsl";

/// What varies between generated worlds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// `ListIssueDateTime` and signing time of every list (RFC 3339).
    pub issue: String,
    /// `NextUpdate` of every list (RFC 3339).
    pub next_update: String,
    /// Base URL of the published lists: `{list_base}/BE.xml`, `{list_base}/JP.xml`.
    pub list_base: String,
}

impl Params {
    /// The parameters of the committed fixtures.
    pub fn fixtures() -> Self {
        Self {
            issue: ISSUE.into(),
            next_update: NEXT_UPDATE.into(),
            list_base: FIXTURE_LIST_BASE.into(),
        }
    }
}

pub const QC_COMPLIANCE: &str = "0.4.0.1862.1.1";
pub const QC_SSCD: &str = "0.4.0.1862.1.4";
pub const QC_TYPE: &str = "0.4.0.1862.1.6";
pub const QC_TYPE_ESEAL: &str = "0.4.0.1862.1.6.2";
pub const QC_CC_LEGISLATION: &str = "0.4.0.1862.1.7";
/// EN 319 411-2 QCP-l-qscd.
pub const QCP_L_QSCD: &str = "0.4.0.194112.1.3";
/// Test policy of the JP accredited e-seal CA: RFC 7229 test-certificate-policy-1.
pub const JP_ESEAL_POLICY: &str = "1.3.6.1.5.5.7.13.1";

/// A software list signer on aws-lc-rs (test and generator only).
pub struct SoftSigner {
    key: EcdsaKeyPair,
    cert: Vec<u8>,
}

impl SoftSigner {
    pub fn new(pkcs8: &[u8], cert: Vec<u8>) -> Self {
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8).unwrap();
        SoftSigner { key, cert }
    }
}

impl ListSigner for SoftSigner {
    fn algorithm(&self) -> ListSignatureAlgorithm {
        ListSignatureAlgorithm::EcdsaP256Sha256
    }
    fn certificate_der(&self) -> &[u8] {
        &self.cert
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.key
            .sign(&SystemRandom::new(), message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|e| e.to_string())
    }
}

fn der_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        vec![u8::try_from(n).unwrap()]
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        let mut v = vec![0x80 | u8::try_from(bytes.len()).unwrap()];
        v.extend(bytes);
        v
    }
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend(der_len(content.len()));
    v.extend_from_slice(content);
    v
}

fn oid(text: &str) -> Vec<u8> {
    let arcs: Vec<u64> = text.split('.').map(|a| a.parse().unwrap()).collect();
    let mut body = Vec::new();
    let first = arcs[0] * 40 + arcs[1];
    for &arc in std::iter::once(&first).chain(&arcs[2..]) {
        let mut chunk = vec![u8::try_from(arc & 0x7f).unwrap()];
        let mut rest = arc >> 7;
        while rest > 0 {
            chunk.push(0x80 | u8::try_from(rest & 0x7f).unwrap());
            rest >>= 7;
        }
        chunk.reverse();
        body.extend(chunk);
    }
    tlv(0x06, &body)
}

fn seq(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &items.concat())
}

fn arcs(text: &str) -> Vec<u64> {
    text.split('.').map(|a| a.parse().unwrap()).collect()
}

/// qcStatements (RFC 3739 / EN 319 412-5) with the given statements.
fn qc_statements(eu_qualified: bool, legislation: Option<&str>) -> CustomExtension {
    let mut statements = Vec::new();
    if eu_qualified {
        statements.push(seq(&[oid(QC_COMPLIANCE)]));
        statements.push(seq(&[oid(QC_SSCD)]));
    }
    statements.push(seq(&[oid(QC_TYPE), seq(&[oid(QC_TYPE_ESEAL)])]));
    if let Some(cc) = legislation {
        statements.push(seq(&[
            oid(QC_CC_LEGISLATION),
            seq(&[tlv(0x13, cc.as_bytes())]),
        ]));
    }
    CustomExtension::from_oid_content(&arcs("1.3.6.1.5.5.7.1.3"), seq(&statements))
}

fn policies(oids: &[&str]) -> CustomExtension {
    let infos: Vec<Vec<u8>> = oids.iter().map(|o| seq(&[oid(o)])).collect();
    CustomExtension::from_oid_content(&arcs("2.5.29.32"), seq(&infos))
}

fn params(cn: &str, org: &str, country: &str, serial: u8, ca: bool) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CountryName, country);
    p.distinguished_name.push(DnType::OrganizationName, org);
    p.distinguished_name.push(DnType::CommonName, cn);
    p.not_before = rcgen::date_time_ymd(2019, 1, 1);
    p.not_after = rcgen::date_time_ymd(2035, 1, 1);
    p.serial_number = Some(SerialNumber::from(vec![0x10, serial]));
    if ca {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    } else {
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ];
    }
    p
}

struct Made {
    key: KeyPair,
    pem: String,
    der: Vec<u8>,
}

fn write(out: &Path, rel: &str, text: &str) {
    let path = out.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn save(out: &Path, name: &str, made: &Made) {
    write(out, &format!("pki/{name}.pem"), &made.pem);
    write(
        out,
        &format!("pki/{name}.key.pem"),
        &made.key.serialize_pem(),
    );
}

fn self_signed(p: CertificateParams) -> (Made, CertificateParams) {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = p.self_signed(&key).unwrap();
    (
        Made {
            pem: cert.pem(),
            der: cert.der().to_vec(),
            key,
        },
        p,
    )
}

fn issued(p: CertificateParams, issuer: &Issuer<'_, &KeyPair>) -> Made {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = p.signed_by(&key, issuer).unwrap();
    Made {
        pem: cert.pem(),
        der: cert.der().to_vec(),
        key,
    }
}

/// The EU QTSP's root CA (the service the Belgian list grants).
fn eu_qtsp_ca_params() -> CertificateParams {
    params("Test QTSP Root CA", "Kakehashi Test QTSP", "BE", 10, true)
}

/// The Japanese accredited e-seal CA (the service the JPlist lists).
fn jp_eseal_ca_params() -> CertificateParams {
    params(
        "JP Accredited e-Seal CA (test)",
        "Kakehashi Test e-Seal Co",
        "JP",
        30,
        true,
    )
}

/// The Belgian university's qualified seal: QC statements, QCP-l-qscd, its VAT
/// organizationIdentifier.
fn eu_seal_params(serial: u8) -> CertificateParams {
    let mut seal = params(
        &format!("{EU_UNIVERSITY_NAME} (seal)"),
        EU_UNIVERSITY_NAME,
        "BE",
        serial,
        false,
    );
    seal.distinguished_name
        .push(DnType::CustomDnType(arcs("2.5.4.97")), EU_UNIVERSITY_ORG_ID);
    seal.custom_extensions = vec![qc_statements(true, None), policies(&[QCP_L_QSCD])];
    seal
}

/// The Japanese university's e-seal: QcCClegislation JP, the accredited CA's policy, its
/// Corporate Number organizationIdentifier.
fn jp_seal_params(serial: u8) -> CertificateParams {
    let mut jseal = params(
        &format!("{JP_UNIVERSITY_NAME_EN} (e-seal)"),
        JP_UNIVERSITY_NAME_EN,
        "JP",
        serial,
        false,
    );
    jseal.distinguished_name.push(
        DnType::CustomDnType(arcs("2.5.4.97")),
        format!("NTRJP-{JP_UNIVERSITY_CORPORATE_NUMBER}"),
    );
    jseal.custom_extensions = vec![
        qc_statements(false, Some("JP")),
        policies(&[JP_ESEAL_POLICY]),
    ];
    jseal
}

/// Generates everything under `out`: `pki/`, `chains/`, `lists/` (descriptions and signed XML).
pub fn generate(out: &Path, p: &Params) {
    // List signers.
    let (lotl_signer, _) = self_signed(params(
        "Test EU LOTL Signer",
        "Kakehashi Test EC",
        "BE",
        1,
        false,
    ));
    let (be_signer, _) = self_signed(params(
        "Test BE TL Signer",
        "Kakehashi Test FPS Economy",
        "BE",
        2,
        false,
    ));
    let (jp_signer, _) = self_signed(params(
        "Test JPlist Signer",
        "Kakehashi Test Digital Agency",
        "JP",
        3,
        false,
    ));
    save(out, "eu-lotl-signer", &lotl_signer);
    save(out, "be-tl-signer", &be_signer);
    save(out, "jplist-signer", &jp_signer);

    // EU QTSP.
    let (qtsp_ca, qtsp_params) = self_signed(eu_qtsp_ca_params());
    let (old_ca, old_params) = self_signed(params(
        "Test QTSP Old CA",
        "Kakehashi Test QTSP",
        "BE",
        11,
        true,
    ));
    save(out, "eu-qtsp-ca", &qtsp_ca);
    save(out, "eu-qtsp-old-ca", &old_ca);
    let qtsp_issuer = Issuer::new(qtsp_params, &qtsp_ca.key);
    let old_issuer = Issuer::new(old_params, &old_ca.key);
    let seal = eu_seal_params(20);
    let eu_seal = issued(seal.clone(), &qtsp_issuer);
    save(out, "eu-university-seal", &eu_seal);
    let eu_old_seal = issued(seal, &old_issuer);
    save(out, "eu-old-seal", &eu_old_seal);
    // A certificate of the same QTSP without QC statements (not qualified).
    let mut plain = params(
        "Universite Test (plain)",
        "Universite Test de Bruxelles",
        "BE",
        21,
        false,
    );
    plain
        .distinguished_name
        .push(DnType::CustomDnType(arcs("2.5.4.97")), EU_UNIVERSITY_ORG_ID);
    let eu_plain = issued(plain, &qtsp_issuer);
    save(out, "eu-plain-seal", &eu_plain);

    // JP accredited e-seal CA, TSA, university seal.
    let (jp_ca, jp_ca_params) = self_signed(jp_eseal_ca_params());
    save(out, "jp-eseal-ca", &jp_ca);
    let (jp_tsa, _) = self_signed(params(
        "JP Accredited TSA (test)",
        "Kakehashi Test Time Stamp Co",
        "JP",
        31,
        false,
    ));
    save(out, "jp-tsa", &jp_tsa);
    let jp_issuer = Issuer::new(jp_ca_params, &jp_ca.key);
    let jp_seal = issued(jp_seal_params(40), &jp_issuer);
    save(out, "jp-university-seal", &jp_seal);

    // Chains, leaf first.
    write(
        out,
        "chains/eu-university-seal.pem",
        &format!("{}{}", eu_seal.pem, qtsp_ca.pem),
    );
    write(
        out,
        "chains/eu-old-seal.pem",
        &format!("{}{}", eu_old_seal.pem, old_ca.pem),
    );
    write(
        out,
        "chains/eu-plain-seal.pem",
        &format!("{}{}", eu_plain.pem, qtsp_ca.pem),
    );
    write(
        out,
        "chains/jp-university-seal.pem",
        &format!("{}{}", jp_seal.pem, jp_ca.pem),
    );

    // Descriptions (paths relative to lists/), then signed lists.
    write(out, "lists/BE.toml", &be_description(p));
    write(out, "lists/JP.toml", &jp_description(p));
    write(out, "lists/eu-lotl.toml", &lotl_description(p));
    let at = UnixTime::parse_rfc3339(&p.issue).unwrap();
    for (name, signer) in [
        ("BE", &be_signer),
        ("JP", &jp_signer),
        ("eu-lotl", &lotl_signer),
    ] {
        let text = std::fs::read_to_string(out.join(format!("lists/{name}.toml"))).unwrap();
        let desc: ListDescription = toml::from_str(&text).unwrap();
        let signer = Arc::new(SoftSigner::new(
            &signer.key.serialize_der(),
            signer.der.clone(),
        ));
        let lists = out.join("lists");
        let mut resolve = |r: &str| read_pem_cert(&lists.join(r));
        let xml = publish(&desc, &mut resolve, signer, at).unwrap();
        write(out, &format!("lists/{name}.xml"), &xml);
    }
    let lotl_pin = hex(&sha256(&lotl_signer.der));
    write(out, "policy/eu-verifier.toml", &eu_policy(&lotl_pin));
    write(out, "policy/jp-verifier.toml", &jp_policy(&lotl_pin));
}

fn sha256(der: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der)
        .as_ref()
        .to_vec()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

const EU_QC: &str = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC";
const EU_GRANTED: &str = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted";
const FOR_ESEALS: &str = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSeals";
const JP_ESEAL: &str = "https://kakehashi.example/TrstSvc/Svctype/JP/ESealCA-Accredited";
const JP_TSA: &str = "https://kakehashi.example/TrstSvc/Svctype/JP/TSA-Accredited";
const JP_ACCREDITED: &str = "https://kakehashi.example/TrstSvc/TrustedList/Svcstatus/JP/accredited";

fn rule(
    id: &str,
    scheme: &str,
    service: &str,
    status: &str,
    extra: &str,
    class: &str,
    recognition: &str,
    basis: &str,
) -> String {
    format!(
        "[[rule]]\nid = \"{id}\"\nscheme = \"{scheme}\"\nservice_type = \"{service}\"\nstatuses = [\"{status}\"]\n{extra}\
         class = \"{class}\"\nrecognition = \"{recognition}\"\nbasis = \"{basis}\"\n\n"
    )
}

fn eu_rules(recognition: &str, basis: &str) -> String {
    let qseal = format!(
        "additional_information = [\"{FOR_ESEALS}\"]\nqc_statements = [\"QcCompliance\", \"QcTypeEseal\"]\n\
         policies_any = [\"0.4.0.194112.1.1\", \"0.4.0.194112.1.3\"]\n"
    );
    let aseal = format!("additional_information = [\"{FOR_ESEALS}\"]\n");
    rule(
        "eu-qualified-seal",
        "EU",
        EU_QC,
        EU_GRANTED,
        &qseal,
        "qualified-equivalent-seal",
        recognition,
        basis,
    ) + &rule(
        "eu-advanced-seal",
        "EU",
        EU_QC,
        EU_GRANTED,
        &aseal,
        "advanced-equivalent-seal",
        recognition,
        basis,
    ) + &rule(
        "eu-qualified-timestamp",
        "EU",
        "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST",
        EU_GRANTED,
        "",
        "time-stamp",
        recognition,
        basis,
    )
}

fn jp_rules(recognition: &str, basis: &str) -> String {
    let univ = format!(
        "qc_statements = [\"QcTypeEseal\", \"QcCClegislation:JP\"]\npolicies_any = [\"{JP_ESEAL_POLICY}\"]\nauthorised_university = true\n"
    );
    let seal = format!(
        "qc_statements = [\"QcTypeEseal\", \"QcCClegislation:JP\"]\npolicies_any = [\"{JP_ESEAL_POLICY}\"]\n"
    );
    rule(
        "jp-university-seal",
        "JP",
        JP_ESEAL,
        JP_ACCREDITED,
        &univ,
        "high-assurance-attestation",
        recognition,
        basis,
    ) + &rule(
        "jp-accredited-seal",
        "JP",
        JP_ESEAL,
        JP_ACCREDITED,
        &seal,
        "qualified-equivalent-seal",
        recognition,
        basis,
    ) + &rule(
        "jp-accredited-timestamp",
        "JP",
        JP_TSA,
        JP_ACCREDITED,
        "",
        "time-stamp",
        recognition,
        basis,
    )
}

fn eu_policy(lotl_pin: &str) -> String {
    format!(
        "# Generated by testdata/gen: an EU verifier recognising EU services by law and JP services\n\
         # in the Kakehashi pilot. Format: docs/trust/policy.md.\n\
         name = \"Kakehashi test policy: EU verifier\"\nverifier_scheme = \"EU\"\n\n\
         [anchors]\neu_lotl_sha256 = [\"{lotl_pin}\"]\n\n{}{}",
        eu_rules(
            "legal",
            "Regulation (EU) No 910/2014 (eIDAS), Art. 35 and 41"
        ),
        jp_rules(
            "pilot-recognised",
            "Kakehashi EU-JP pilot; no mutual recognition act yet"
        ),
    )
}

fn jp_policy(lotl_pin: &str) -> String {
    format!(
        "# Generated by testdata/gen: a Japanese verifier recognising JP accredited services by law\n\
         # and EU qualified services in the Kakehashi pilot. Format: docs/trust/policy.md.\n\
         name = \"Kakehashi test policy: JP verifier\"\nverifier_scheme = \"JP\"\n\n\
         [anchors]\neu_lotl_sha256 = [\"{lotl_pin}\"]\n\n{}{}",
        jp_rules(
            "legal",
            "e-seal and time-stamp accreditation (MIC notices); Act on Electronic Signatures"
        ),
        eu_rules(
            "pilot-recognised",
            "Kakehashi EU-JP pilot; no mutual recognition act yet"
        ),
    )
}

/// First certificate of a PEM file, DER.
pub fn read_pem_cert(path: &Path) -> Result<Vec<u8>, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    CertificateDer::pem_slice_iter(&bytes)
        .next()
        .ok_or_else(|| format!("{}: no certificate", path.display()))?
        .map(|c| c.to_vec())
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn common(
    p: &Params,
    kind: &str,
    territory: &str,
    seq: u32,
    op_en: &str,
    op_ja: Option<&str>,
    scheme: &str,
    key: &str,
) -> String {
    let ja = op_ja.map(|j| format!(", ja = \"{j}\"")).unwrap_or_default();
    let (issue, next_update, base) = (&p.issue, &p.next_update, &p.list_base);
    format!(
        "# Generated by testdata/gen; rebuild with `kakehashi trust publish`.\n\
         kind = \"{kind}\"\nterritory = \"{territory}\"\nsequence_number = {seq}\n\
         issue_date = \"{issue}\"\nnext_update = \"{next_update}\"\n\
         operator_name = {{ en = \"{op_en}\"{ja} }}\nscheme_name = {{ en = \"{scheme}\" }}\n\
         information_uri = \"https://kakehashi.example/tsl/{territory}\"\n\
         distribution_points = [\"{base}/{territory}.xml\"]\n\
         signer_key = \"../pki/{key}.key.pem\"\nsigner_certificate = \"../pki/{key}.pem\"\n\n"
    )
}

fn be_description(p: &Params) -> String {
    let mut s = common(
        p,
        "eu",
        "BE",
        1,
        "Kakehashi Test FPS Economy",
        None,
        "BE: Test trusted list",
        "be-tl-signer",
    );
    s.push_str(
        "[[provider]]\nname = { en = \"Kakehashi Test QTSP\" }\ntrade_names = [\"VATBE-0999999999\"]\n\
         information_uri = \"https://qtsp.kakehashi.example\"\n\n\
         [[provider.service]]\nservice_type = \"http://uri.etsi.org/TrstSvc/Svctype/CA/QC\"\n\
         name = { en = \"Test QTSP Root CA\" }\ncertificates = [\"../pki/eu-qtsp-ca.pem\"]\n\
         status = \"http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted\"\n\
         status_starting_time = \"2020-01-01T00:00:00Z\"\n\
         additional_information = [\"http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSeals\"]\n\
         [[provider.service.qualification]]\n\
         qualifiers = [\"http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCForESeal\", \"http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCQSCDStatusAsInCert\"]\n\
         policies = [\"0.4.0.194112.1.1\", \"0.4.0.194112.1.3\"]\n\n\
         [[provider.service]]\nservice_type = \"http://uri.etsi.org/TrstSvc/Svctype/CA/QC\"\n\
         name = { en = \"Test QTSP Old CA\" }\ncertificates = [\"../pki/eu-qtsp-old-ca.pem\"]\n\
         status = \"http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn\"\n\
         status_starting_time = \"2025-06-01T00:00:00Z\"\n\
         additional_information = [\"http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSeals\"]\n\
         [[provider.service.history]]\nstatus = \"http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted\"\n\
         status_starting_time = \"2020-01-01T00:00:00Z\"\n",
    );
    s
}

fn jp_description(p: &Params) -> String {
    let mut s = common(
        p,
        "jplist",
        "JP",
        1,
        "Kakehashi Test Digital Agency",
        Some("かけはし試験用デジタル庁"),
        "JP: Kakehashi list of accredited trust services (test)",
        "jplist-signer",
    );
    s.push_str(&format!(
        "[[provider]]\nname = {{ en = \"Kakehashi Test e-Seal Co\", ja = \"かけはし試験用 e シール株式会社\" }}\n\
         trade_names = [\"NTRJP-5010005007398\"]\ninformation_uri = \"https://eseal.kakehashi.example\"\n\n\
         [[provider.service]]\nservice_type = \"https://kakehashi.example/TrstSvc/Svctype/JP/ESealCA-Accredited\"\n\
         name = {{ en = \"JP Accredited e-Seal CA (test)\", ja = \"認定 e シール認証局（試験用）\" }}\n\
         certificates = [\"../pki/jp-eseal-ca.pem\"]\n\
         status = \"https://kakehashi.example/TrstSvc/TrustedList/Svcstatus/JP/accredited\"\n\
         status_starting_time = \"2025-04-01T00:00:00Z\"\n\n\
         [[provider]]\nname = {{ en = \"Kakehashi Test Time Stamp Co\" }}\ntrade_names = [\"NTRJP-7000012050002\"]\n\
         information_uri = \"https://tsa.kakehashi.example\"\n\n\
         [[provider.service]]\nservice_type = \"https://kakehashi.example/TrstSvc/Svctype/JP/TSA-Accredited\"\n\
         name = {{ en = \"JP Accredited TSA (test)\" }}\ncertificates = [\"../pki/jp-tsa.pem\"]\n\
         status = \"https://kakehashi.example/TrstSvc/TrustedList/Svcstatus/JP/accredited\"\n\
         status_starting_time = \"2025-04-01T00:00:00Z\"\n\n\
         [[university]]\nname = {{ en = \"{JP_UNIVERSITY_NAME_EN}\", ja = \"{JP_UNIVERSITY_NAME_JA}\" }}\n\
         corporate_number = \"{JP_UNIVERSITY_CORPORATE_NUMBER}\"\nschool_code = \"{JP_UNIVERSITY_SCHOOL_CODE}\"\n\
         information_uri = \"https://univ.kakehashi.example\"\ncertificates = [\"../pki/jp-university-seal.pem\"]\n\
         status_starting_time = \"2025-04-01T00:00:00Z\"\n"
    ));
    s
}

fn lotl_description(p: &Params) -> String {
    let mut s = common(
        p,
        "lotl",
        "EU",
        1,
        "Kakehashi Test European Commission",
        None,
        "EU: Test list of the lists",
        "eu-lotl-signer",
    );
    let base = &p.list_base;
    s.push_str(&format!(
        "[[pointer]]\nterritory = \"BE\"\nlocation = \"{base}/BE.xml\"\n\
         tsl_type = \"http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUgeneric\"\n\
         operator_name = {{ en = \"Kakehashi Test FPS Economy\" }}\ncertificates = [\"../pki/be-tl-signer.pem\"]\n\n\
         [[pointer]]\nterritory = \"JP\"\nlocation = \"{base}/JP.xml\"\n\
         tsl_type = \"https://kakehashi.example/TrstSvc/TrustedList/TSLType/JPlist\"\n\
         operator_name = {{ en = \"Kakehashi Test Digital Agency\" }}\ncertificates = [\"../pki/jplist-signer.pem\"]\n\
         [pointer.mra]\npointing_legislation = \"http://data.europa.eu/eli/reg/2014/910/oj\"\n\
         pointed_legislation = \"https://kakehashi.example/legislation/JP/eseal-accreditation\"\n\
         [[pointer.mra.equivalence]]\nlegal_identifier = \"QCForESeal\"\n\
         pointing_service_type = \"http://uri.etsi.org/TrstSvc/Svctype/CA/QC\"\n\
         pointing_additional_information = [\"http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSeals\"]\n\
         pointed_service_type = \"https://kakehashi.example/TrstSvc/Svctype/JP/ESealCA-Accredited\"\n\
         status = \"https://kakehashi.example/TrstSvc/mra/pilot-recognised\"\n\
         status_starting_time = \"2026-10-01T00:00:00Z\"\n\
         valid_statuses = [[\"http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted\", \"https://kakehashi.example/TrstSvc/TrustedList/Svcstatus/JP/accredited\"]]\n",
    ));
    s
}

/// Re-signs list `name` (`BE`, `JP`, `eu-lotl`) of a generated world with other dates, e.g. a
/// list whose `NextUpdate` has passed. Returns the signed XML; the world's files are unchanged.
pub fn republish(out: &Path, name: &str, issue: &str, next_update: &str) -> String {
    let lists = out.join("lists");
    let text = std::fs::read_to_string(lists.join(format!("{name}.toml"))).unwrap();
    let mut desc: ListDescription = toml::from_str(&text).unwrap();
    desc.issue_date = issue.to_owned();
    desc.next_update = next_update.to_owned();
    desc.sequence_number += 1;
    let key_pem = std::fs::read_to_string(lists.join(desc.signer_key.as_deref().unwrap())).unwrap();
    let key = KeyPair::from_pem(&key_pem).unwrap();
    let cert = read_pem_cert(&lists.join(desc.signer_certificate.as_deref().unwrap())).unwrap();
    let signer = Arc::new(SoftSigner::new(&key.serialize_der(), cert));
    let mut resolve = |r: &str| read_pem_cert(&lists.join(r));
    publish(
        &desc,
        &mut resolve,
        signer,
        UnixTime::parse_rfc3339(issue).unwrap(),
    )
    .unwrap()
}

/// A seal of an issuer that claims the EU test university's organisation identifier but whose
/// CA is in no trusted list: `pki/rogue-seal.{pem,key.pem}` and `chains/rogue-seal.pem`.
pub fn rogue_seal(out: &Path) {
    let (ca, ca_params) = self_signed(params(
        "Unlisted Test CA",
        "Nobody's Trust Services",
        "BE",
        90,
        true,
    ));
    let issuer = Issuer::new(ca_params, &ca.key);
    let leaf = issued(eu_seal_params(91), &issuer);
    save(out, "rogue-seal", &leaf);
    write(
        out,
        "chains/rogue-seal.pem",
        &format!("{}{}", leaf.pem, ca.pem),
    );
}

/// [`republish`] for a running node: writes the re-signed `lists/{name}.xml` and records the
/// new sequence number in `lists/{name}.toml`, so every re-issue of a list carries a higher
/// `TSLSequenceNumber` than the one before (TS 119 612 clause 5.3.7).
pub fn reissue(out: &Path, name: &str, issue: &str, next_update: &str) {
    let xml = republish(out, name, issue, next_update);
    let lists = out.join("lists");
    let toml_path = lists.join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&toml_path).unwrap();
    let desc: ListDescription = toml::from_str(&text).unwrap();
    let next = desc.sequence_number + 1;
    let updated: String = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("sequence_number") {
                format!("sequence_number = {next}")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&toml_path, updated + "\n").unwrap();
    std::fs::write(lists.join(format!("{name}.xml")), xml).unwrap();
}
