//! Material for a demo node (`kakehashi serve` with demo data), generated next to the test
//! PKI of [`crate::generate`]:
//!
//! - seal certificates for keys the node generated and sealed in its own store: the node never
//!   reads a plaintext seal key, it asks the test QTSP / accredited CA to certify its public key,
//!   the shape of a CSR to a real trust service provider;
//! - relying-party access certificates for verifiers, under one pilot access CA that wallets
//!   trust for request objects;
//! - a private TLS CA and a server certificate for loopback, since OpenID4VCI and OpenID4VP
//!   require https.
//!
//! Unlike [`crate::generate`] these run inside a server, so they return errors instead of
//! panicking.

use std::path::{Path, PathBuf};

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType, SerialNumber,
};

use crate::{eu_qtsp_ca_params, eu_seal_params, jp_eseal_ca_params, jp_seal_params};

/// Which university's seal to certify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealSide {
    /// The Belgian university, under the EU test QTSP (qualified seal).
    Eu,
    /// The Japanese university, under the JP accredited e-seal CA.
    Jp,
}

fn fail(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

fn random_serial() -> Result<SerialNumber, String> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| "randomness unavailable".to_owned())?;
    // Positive INTEGER: clear the top bit.
    bytes[0] &= 0x7f;
    Ok(SerialNumber::from(bytes.to_vec()))
}

fn read_key(path: &Path) -> Result<KeyPair, String> {
    let pem = std::fs::read_to_string(path).map_err(|e| fail(&path.display().to_string(), e))?;
    KeyPair::from_pem(&pem).map_err(|e| fail(&path.display().to_string(), e))
}

fn leaf_key(pkcs8: &[u8]) -> Result<KeyPair, String> {
    KeyPair::try_from(pkcs8).map_err(|e| fail("leaf key", e))
}

/// Certifies the node's seal key (`pkcs8`) under the test CA of `side` in the PKI at `out`.
/// Returns the chain, leaf first, as DER.
pub fn certify_seal(out: &Path, side: SealSide, pkcs8: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let (ca_name, ca_params, mut leaf_params) = match side {
        SealSide::Eu => ("eu-qtsp-ca", eu_qtsp_ca_params(), eu_seal_params(0)),
        SealSide::Jp => ("jp-eseal-ca", jp_eseal_ca_params(), jp_seal_params(0)),
    };
    let ca_key = read_key(&out.join(format!("pki/{ca_name}.key.pem")))?;
    let ca_der = crate::read_pem_cert(&out.join(format!("pki/{ca_name}.pem")))?;
    let issuer = Issuer::new(ca_params, &ca_key);
    leaf_params.serial_number = Some(random_serial()?);
    let cert = leaf_params
        .signed_by(&leaf_key(pkcs8)?, &issuer)
        .map_err(|e| fail("seal certificate", e))?;
    Ok(vec![cert.der().to_vec(), ca_der])
}

fn access_ca_params() -> CertificateParams {
    let mut p = crate::params(
        "Kakehashi Pilot Relying Party Access CA (test)",
        "Kakehashi Pilot Operators",
        "JP",
        60,
        true,
    );
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p
}

/// The pilot access CA under `out/pki/access-ca.*`, created on first use. Returns its
/// certificate (DER), the anchor wallets use for verifiers' request objects.
pub fn access_ca(out: &Path) -> Result<Vec<u8>, String> {
    let cert_path = out.join("pki/access-ca.pem");
    if cert_path.exists() {
        return crate::read_pem_cert(&cert_path);
    }
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|e| fail("key", e))?;
    let cert = access_ca_params()
        .self_signed(&key)
        .map_err(|e| fail("access CA", e))?;
    write_private(&out.join("pki/access-ca.key.pem"), &key.serialize_pem())?;
    write_public(&cert_path, &cert.pem())?;
    Ok(cert.der().to_vec())
}

/// Certifies a verifier's request-signing key under the pilot access CA: the certificate
/// names the organisation wallets show on the consent screen. `host` goes into the SAN (for
/// the `x509_san_dns` client identifier prefix). Returns the chain, leaf first.
pub fn certify_access(
    out: &Path,
    pkcs8: &[u8],
    common_name: &str,
    organization: &str,
    country: &str,
    host: &str,
) -> Result<Vec<Vec<u8>>, String> {
    let ca_der = access_ca(out)?;
    let ca_key = read_key(&out.join("pki/access-ca.key.pem"))?;
    let issuer = Issuer::new(access_ca_params(), &ca_key);
    let mut p = crate::params(common_name, organization, country, 0, false);
    p.serial_number = Some(random_serial()?);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.subject_alt_names = vec![SanType::DnsName(
        host.try_into()
            .map_err(|e| fail("access certificate host", e))?,
    )];
    let cert = p
        .signed_by(&leaf_key(pkcs8)?, &issuer)
        .map_err(|e| fail("access certificate", e))?;
    Ok(vec![cert.der().to_vec(), ca_der])
}

/// Where the demo TLS material is.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The private CA (PEM): give it to clients (`NODE_EXTRA_CA_CERTS`, `--tls-root`).
    pub ca: PathBuf,
    /// The server certificate chain (PEM, leaf first).
    pub chain: PathBuf,
    /// The server key (PKCS#8 PEM, mode 0600).
    pub key: PathBuf,
}

/// A private TLS CA and a server certificate for `hosts` (DNS names or IP addresses) under
/// `out/tls/`, created when missing or when the existing certificate was made for other hosts.
pub fn tls(out: &Path, hosts: &[String]) -> Result<TlsFiles, String> {
    let dir = out.join("tls");
    let files = TlsFiles {
        ca: dir.join("ca.pem"),
        chain: dir.join("server-chain.pem"),
        key: dir.join("server.key.pem"),
    };
    let hosts_file = dir.join("hosts.txt");
    let wanted = hosts.join("\n");
    if files.ca.exists()
        && files.chain.exists()
        && files.key.exists()
        && std::fs::read_to_string(&hosts_file).is_ok_and(|h| h == wanted)
    {
        return Ok(files);
    }
    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|e| fail("key", e))?;
    let mut ca_params =
        CertificateParams::new(Vec::<String>::new()).map_err(|e| fail("TLS CA", e))?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Kakehashi demo TLS CA (loopback only)");
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "Kakehashi pilot");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.serial_number = Some(random_serial()?);
    let ca = ca_params
        .self_signed(&ca_key)
        .map_err(|e| fail("TLS CA", e))?;
    let issuer = Issuer::new(ca_params, &ca_key);
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|e| fail("key", e))?;
    let mut p = CertificateParams::new(hosts.to_vec()).map_err(|e| fail("TLS hosts", e))?;
    p.distinguished_name.push(
        DnType::CommonName,
        hosts.first().map_or("localhost", String::as_str),
    );
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.serial_number = Some(random_serial()?);
    // Browsers refuse server certificates valid for more than 398 days.
    p.not_before = time_days_from_now(-1)?;
    p.not_after = time_days_from_now(390)?;
    let leaf = p
        .signed_by(&key, &issuer)
        .map_err(|e| fail("TLS certificate", e))?;
    write_private(&files.key, &key.serialize_pem())?;
    write_public(&files.chain, &format!("{}{}", leaf.pem(), ca.pem()))?;
    write_public(&files.ca, &ca.pem())?;
    write_public(&hosts_file, &wanted)?;
    Ok(files)
}

fn time_days_from_now(days: i64) -> Result<time::OffsetDateTime, String> {
    // The generator is an edge: it may read the clock.
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now();
    let now = time::OffsetDateTime::from(now);
    now.checked_add(time::Duration::days(days))
        .ok_or_else(|| "date out of range".to_owned())
}

fn write_public(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| fail(&parent.display().to_string(), e))?;
    }
    std::fs::write(path, text).map_err(|e| fail(&path.display().to_string(), e))
}

/// Writes a private key readable by the owner only.
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    write_public(path, "")?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| fail(&path.display().to_string(), e))?;
    }
    std::fs::write(path, text).map_err(|e| fail(&path.display().to_string(), e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn certified_seals_and_access_certificates_chain_to_their_cas() {
        let dir =
            std::env::temp_dir().join(format!("kakehashi-testpki-node-{}", std::process::id()));
        crate::generate(&dir, &crate::Params::fixtures());
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        for side in [SealSide::Eu, SealSide::Jp] {
            let chain = certify_seal(&dir, side, &key.serialize_der()).unwrap();
            assert_eq!(chain.len(), 2);
            // The chain validates through the trust layer the way a verifier checks it (the
            // issuing CA as the anchor).
            let at = kakehashi_trust::UnixTime::parse_rfc3339("2027-01-01T00:00:00Z").unwrap();
            kakehashi_trust::x509::verify_chain(
                &chain,
                &[chain[1].as_slice()],
                at,
                &kakehashi_trust::Limits::default(),
            )
            .unwrap();
            let info = kakehashi_trust::x509::inspect_certificate(&chain[0]).unwrap();
            assert!(info.organization_identifier.is_some());
        }
        let chain = certify_access(
            &dir,
            &key.serialize_der(),
            "Admissions",
            "Org",
            "BE",
            "localhost",
        )
        .unwrap();
        assert_eq!(chain[1], access_ca(&dir).unwrap());
        let tls_files = tls(&dir, &["localhost".into(), "127.0.0.1".into()]).unwrap();
        let again = tls(&dir, &["localhost".into(), "127.0.0.1".into()]).unwrap();
        assert_eq!(
            std::fs::read(&tls_files.chain).unwrap(),
            std::fs::read(&again.chain).unwrap(),
            "kept when the hosts are the same"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&tls_files.key)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "private key readable by the owner only");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
