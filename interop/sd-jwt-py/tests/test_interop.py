"""Interop between Kakehashi and the sd-jwt reference implementation (OpenWallet Foundation).

Direction 1: Kakehashi issues/presents, sd_jwt.verifier.SDJWTVerifier verifies.
Direction 2: sd_jwt.issuer.SDJWTIssuer issues, sd_jwt.holder.SDJWTHolder presents, Kakehashi verifies.
Round trips: each side presents what the other issued.
"""

import base64
import json
import time

import pytest
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from conftest import (
    AUD, CLAIMS, CLAIMS_TO_DISCLOSE, EXPECTED_DISCLOSED, ISS, NONCE, SD_POINTERS, VCT, Key, without_envelope,
)

KB_ARGS = ("--nonce", NONCE, "--aud", AUD)


def b64json(s):
    return json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))


def b64enc(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def split(sdjwt):
    parts = sdjwt.split("~")
    return parts[0], parts[1:-1], parts[-1]


def py_verify(presentation, issuer, nonce=NONCE, aud=AUD):
    v = SDJWTVerifier(presentation, lambda iss, header: issuer.public_jwk, expected_aud=aud, expected_nonce=nonce)
    return v.get_verified_payload()


def py_issue(issuer, holder, typ="dc+sd-jwt", decoys=True):
    """The reference implementation's markup of the shared credential (SDObj = concealed)."""
    claims = {
        "iss": ISS,
        "vct": VCT,
        "iat": int(time.time()),
        SDObj("given_name"): "Hanako",
        SDObj("family_name"): "Yamada",
        SDObj("degree"): {"type": "MasterDegree", SDObj("name"): "MSc Informatics", SDObj("field"): "Computer Science"},
        "languages": [SDObj("ja"), SDObj("en"), SDObj("de")],
        "grades": [
            SDObj({"course": "Cryptography", SDObj("grade"): "A"}),
            SDObj({"course": "Databases", "grade": "B"}),
        ],
        "nationalities": ["JP"],
    }
    return SDJWTIssuer(
        claims, issuer.jwk, holder_key=holder.jwk, sign_alg="ES256", add_decoy_claims=decoys,
        extra_header_parameters={"typ": typ},
    ).sd_jwt_issuance


def py_present(issued, holder, claims=CLAIMS_TO_DISCLOSE, nonce=NONCE, aud=AUD):
    h = SDJWTHolder(issued)
    h.create_presentation(claims, nonce=nonce, aud=aud, holder_key=holder.jwk, sign_alg="ES256")
    return h.sd_jwt_presentation


# ---------------------------------------------------------------- Kakehashi -> Python


def test_python_verifies_kakehashi_presentation(kakehashi, issuer, holder):
    issued = kakehashi.issue(issuer, holder)
    jwt, disclosures, _ = split(issued)
    assert b64json(jwt.split(".")[0])["typ"] == "dc+sd-jwt"
    assert len(disclosures) == len(SD_POINTERS)
    pres = kakehashi.present(issued, issuer, holder)
    payload = py_verify(pres, issuer)
    assert without_envelope(payload) == EXPECTED_DISCLOSED
    assert payload["vct"] == VCT
    assert payload["cnf"]["jwk"] == holder.pub


def test_python_verifies_full_kakehashi_issuance(kakehashi, issuer, holder):
    issued = kakehashi.issue(issuer, holder)
    v = SDJWTVerifier(issued, lambda iss, header: issuer.public_jwk)
    assert without_envelope(v.get_verified_payload()) == CLAIMS


@pytest.mark.parametrize("nonce,aud", [("wrong-nonce", AUD), (NONCE, "https://other.example")])
def test_python_rejects_kakehashi_presentation_with_wrong_nonce_or_aud(kakehashi, issuer, holder, nonce, aud):
    pres = kakehashi.present(kakehashi.issue(issuer, holder), issuer, holder)
    with pytest.raises(ValueError):
        py_verify(pres, issuer, nonce=nonce, aud=aud)


def test_python_rejects_kakehashi_presentation_with_tampered_disclosure(kakehashi, issuer, holder):
    jwt, disclosures, kb = split(kakehashi.present(kakehashi.issue(issuer, holder), issuer, holder))
    d = b64json(disclosures[0])
    d[-1] = "Mallory"
    tampered = "~".join([jwt, b64enc(d), *disclosures[1:], kb])
    with pytest.raises(ValueError, match="digest in KB-JWT"):
        py_verify(tampered, issuer)


def test_python_rejects_kakehashi_presentation_from_other_issuer(kakehashi, tmp, issuer, holder):
    other = Key(tmp, "other-issuer")
    pres = kakehashi.present(kakehashi.issue(other, holder), other, holder)
    with pytest.raises(Exception):
        py_verify(pres, issuer)


def test_kakehashi_rejects_unreferenced_disclosure(kakehashi, issuer, holder):
    """RFC 9901 7.1 step 5: a Disclosure not referenced by any digest MUST be rejected."""
    jwt, disclosures, _ = split(kakehashi.issue(issuer, holder))
    d = b64json(disclosures[0])
    d[-1] = "Mallory"
    tampered = "~".join([jwt, b64enc(d), *disclosures[1:], ""])
    r = kakehashi.verify(tampered, issuer)
    assert r.returncode == 1
    assert "not referenced" in r.stderr


def test_deviation_p1_python_ignores_unreferenced_disclosure(kakehashi, issuer, holder):
    """DEVIATION P1 (sd-jwt 0.10.4): an unreferenced Disclosure is dropped, not rejected.

    RFC 9901 7.1 step 5 requires rejection. If this starts failing, the reference implementation
    was fixed: turn it into a pytest.raises and update interop/README.md.
    """
    jwt, disclosures, _ = split(kakehashi.issue(issuer, holder))
    d = b64json(disclosures[0])
    d[-1] = "Mallory"
    tampered = "~".join([jwt, b64enc(d), *disclosures[1:], ""])
    payload = SDJWTVerifier(tampered, lambda iss, header: issuer.public_jwk).get_verified_payload()
    assert "Mallory" not in json.dumps(payload)


def test_deviation_p2_python_does_not_check_kb_iat(kakehashi, issuer, holder):
    """DEVIATION P2 (sd-jwt 0.10.4): the KB-JWT iat is not checked (RFC 9901 7.3 step 5.5).

    A presentation whose KB-JWT was made a day ago verifies in Python; Kakehashi rejects it
    (default window 300 s).
    """
    day_ago = int(time.time()) - 86400
    pres = kakehashi.run(
        "sd-jwt", "present", "--issuer-key", issuer.pub_file, "--holder-key", holder.priv_file,
        *KB_ARGS, "--now", day_ago, "--disclose", "/given_name",
        kakehashi.file("issued.txt", kakehashi.issue(issuer, holder, "--iat", day_ago - 60)), check=True,
    ).stdout.strip()
    assert b64json(split(pres)[2].split(".")[1])["iat"] == day_ago
    assert py_verify(pres, issuer)["given_name"] == "Hanako"
    r = kakehashi.verify(pres, issuer, *KB_ARGS)
    assert r.returncode == 1, r.stdout
    assert "KB-JWT iat" in r.stderr


# ---------------------------------------------------------------- Python -> Kakehashi


def test_kakehashi_verifies_python_issuance(kakehashi, issuer, holder):
    issued = py_issue(issuer, holder)
    jwt, disclosures, _ = split(issued)
    payload = b64json(jwt.split(".")[1])
    assert len(disclosures) == len(SD_POINTERS)
    assert len(payload["_sd"]) >= 3 + 2  # decoys
    r = kakehashi.verify(issued, issuer)
    assert r.returncode == 0, r.stderr
    assert without_envelope(json.loads(r.stdout)) == CLAIMS


def test_kakehashi_verifies_python_presentation(kakehashi, issuer, holder):
    pres = py_present(py_issue(issuer, holder), holder)
    assert len(split(pres)[1]) == 6
    r = kakehashi.verify(pres, issuer, *KB_ARGS)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert without_envelope(out) == EXPECTED_DISCLOSED
    assert out["cnf"]["jwk"] == holder.pub


@pytest.mark.parametrize("args", [("--nonce", "x", "--aud", AUD), ("--nonce", NONCE, "--aud", "https://other.example")])
def test_kakehashi_rejects_python_presentation_wrong_nonce_or_aud(kakehashi, issuer, holder, args):
    pres = py_present(py_issue(issuer, holder), holder)
    r = kakehashi.verify(pres, issuer, *args)
    assert r.returncode == 1
    assert r.stderr.startswith("error: ")


@pytest.mark.parametrize("typ", ["example+sd-jwt", "vc+sd-jwt", "JWT"])
def test_kakehashi_rejects_python_vc_with_wrong_typ(kakehashi, issuer, holder, typ):
    """SD-JWT VC draft 2.2.1: typ MUST be dc+sd-jwt (checked when verifying as an SD-JWT VC)."""
    tm = kakehashi.file("type-metadata.json", {"vct": VCT, "name": "Diploma"})
    r = kakehashi.verify(py_issue(issuer, holder, typ=typ), issuer, "--type-metadata", tm)
    assert r.returncode == 1
    assert "typ" in r.stderr
    ok = kakehashi.verify(py_issue(issuer, holder), issuer, "--type-metadata", tm)
    assert ok.returncode == 0, ok.stderr


def test_none_alg_rejected_by_both(kakehashi, issuer, holder):
    """RFC 9901 7.1 step 2.1: none MUST NOT be accepted."""
    jwt, disclosures, _ = split(py_issue(issuer, holder))
    none = "~".join([b64enc({"alg": "none", "typ": "dc+sd-jwt"}) + "." + jwt.split(".")[1] + ".", *disclosures, ""])
    r = kakehashi.verify(none, issuer)
    assert r.returncode == 1
    assert "none" in r.stderr
    with pytest.raises(Exception):
        SDJWTVerifier(none, lambda iss, header: issuer.public_jwk).get_verified_payload()


def test_duplicate_disclosure_rejected_by_both(kakehashi, issuer, holder):
    """RFC 9901 section 4: a Holder MUST NOT send a Disclosure more than once; both reject it."""
    jwt, disclosures, _ = split(py_issue(issuer, holder))
    dup = "~".join([jwt, *disclosures, disclosures[0], ""])
    r = kakehashi.verify(dup, issuer)
    assert r.returncode == 1
    assert "more than once" in r.stderr
    with pytest.raises(ValueError, match="Duplicate"):
        SDJWTVerifier(dup, lambda iss, header: issuer.public_jwk)


# ---------------------------------------------------------------- round trips


def test_kakehashi_issues_python_presents_kakehashi_verifies(kakehashi, issuer, holder):
    pres = py_present(kakehashi.issue(issuer, holder), holder)
    r = kakehashi.verify(pres, issuer, *KB_ARGS)
    assert r.returncode == 0, r.stderr
    assert without_envelope(json.loads(r.stdout)) == EXPECTED_DISCLOSED


def test_kakehashi_issues_python_presents_python_verifies(kakehashi, issuer, holder):
    pres = py_present(kakehashi.issue(issuer, holder), holder)
    assert without_envelope(py_verify(pres, issuer)) == EXPECTED_DISCLOSED


def test_python_issues_kakehashi_presents_python_verifies(kakehashi, issuer, holder):
    pres = kakehashi.present(py_issue(issuer, holder), issuer, holder)
    assert without_envelope(py_verify(pres, issuer)) == EXPECTED_DISCLOSED


def test_python_issues_kakehashi_presents_kakehashi_verifies(kakehashi, issuer, holder):
    pres = kakehashi.present(py_issue(issuer, holder), issuer, holder, ["/family_name", "/languages/0", "/grades/1"])
    r = kakehashi.verify(pres, issuer, *KB_ARGS)
    assert r.returncode == 0, r.stderr
    assert without_envelope(json.loads(r.stdout)) == {
        "iss": ISS, "family_name": "Yamada", "languages": ["ja"],
        "grades": [{"course": "Databases", "grade": "B"}], "nationalities": ["JP"],
    }


# ---------------------------------------------------------------- algorithms


@pytest.mark.parametrize("alg", ["ES384", "EdDSA"])
def test_algorithms_kakehashi_issues_python_verifies(kakehashi, tmp, holder, alg):
    # The reference verifier checks KB-JWTs with ES256 only, so the holder key stays P-256.
    issuer = Key(tmp, f"issuer-{alg}", alg)
    issued = kakehashi.issue(issuer, holder)
    assert b64json(split(issued)[0].split(".")[0])["alg"] == alg
    pres = kakehashi.present(issued, issuer, holder)
    assert without_envelope(py_verify(pres, issuer)) == EXPECTED_DISCLOSED


@pytest.mark.parametrize("alg,holder_alg", [("ES384", "ES256"), ("EdDSA", "EdDSA"), ("ES256", "ES384")])
def test_algorithms_python_issues_kakehashi_verifies(kakehashi, tmp, alg, holder_alg):
    issuer = Key(tmp, f"issuer-{alg}", alg)
    holder = Key(tmp, f"holder-{holder_alg}", holder_alg)
    claims = {"iss": ISS, "vct": VCT, "iat": int(time.time()), SDObj("given_name"): "Hanako", "languages": [SDObj("ja"), SDObj("en")]}
    issued = SDJWTIssuer(claims, issuer.jwk, holder_key=holder.jwk, sign_alg=alg,
                         extra_header_parameters={"typ": "dc+sd-jwt"}).sd_jwt_issuance
    h = SDJWTHolder(issued)
    h.create_presentation({"given_name": True, "languages": [False, True]}, nonce=NONCE, aud=AUD,
                          holder_key=holder.jwk, sign_alg=holder_alg)
    r = kakehashi.verify(h.sd_jwt_presentation, issuer, *KB_ARGS)
    assert r.returncode == 0, r.stderr
    assert without_envelope(json.loads(r.stdout)) == {"iss": ISS, "given_name": "Hanako", "languages": ["en"]}


# ---------------------------------------------------------------- JWS JSON serialization


def test_deviation_p3_python_json_serialization_disclosures_location(kakehashi, issuer, holder):
    """DEVIATION P3 (sd-jwt 0.10.4): JSON serialization puts "disclosures" (and "kb_jwt") as
    top-level members of the JWS JSON object.

    RFC 9901 section 8.1 defines them as unprotected header parameters, i.e. inside "header"
    (Kakehashi --json and @sd-jwt/core FlattenJSON do so). So JSON-serialized SD-JWTs do not
    interoperate with the reference implementation in either direction:
    - the reference verifier fails on Kakehashi's (KeyError: 'disclosures');
    - Kakehashi ignores the unknown top-level member (RFC 7515 section 7.2.1: members that are
      not understood MUST be ignored), so the Python-issued claims stay concealed.
    If this starts failing, the reference implementation was fixed: update interop/README.md.
    """
    k_issued = kakehashi.issue(issuer, holder, "--json")
    assert "disclosures" in json.loads(k_issued)["header"]
    with pytest.raises(KeyError):
        SDJWTVerifier(k_issued, lambda iss, header: issuer.public_jwk, serialization_format="json")

    claims = {"iss": ISS, "vct": VCT, SDObj("given_name"): "Hanako"}
    p_issued = SDJWTIssuer(claims, issuer.jwk, serialization_format="json",
                           extra_header_parameters={"typ": "dc+sd-jwt"}).sd_jwt_issuance
    parsed = json.loads(p_issued)
    assert "disclosures" in parsed and "header" not in parsed
    r = kakehashi.verify(p_issued, issuer)
    assert r.returncode == 0, r.stderr
    assert "given_name" not in json.loads(r.stdout)
    # the same JWS with the Disclosures moved where section 8.1 puts them is read in full
    parsed["header"] = {"disclosures": parsed.pop("disclosures")}
    r = kakehashi.verify(json.dumps(parsed), issuer)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["given_name"] == "Hanako"
