"""Shared fixtures for the sd-jwt (Python reference implementation) interop tests."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from jwcrypto.jwk import JWK

VCT = "https://kakehashi.example/vct/diploma"
ISS = "https://issuer.example.ac.jp"
NONCE = "n-0S6_WzA2Mj"
AUD = "https://verifier.example.eu"

KAKEHASHI = os.environ.get("KAKEHASHI_BIN") or str(
    Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/kakehashi-target")) / "debug/kakehashi"
)

# The credential both sides issue (same as interop/sd-jwt-js).
CLAIMS = {
    "iss": ISS,
    "given_name": "Hanako",
    "family_name": "Yamada",
    "degree": {"type": "MasterDegree", "name": "MSc Informatics", "field": "Computer Science"},
    "languages": ["ja", "en", "de"],
    "grades": [
        {"course": "Cryptography", "grade": "A"},
        {"course": "Databases", "grade": "B"},
    ],
    "nationalities": ["JP"],
}
SD_POINTERS = [
    "/given_name", "/family_name", "/degree", "/degree/name", "/degree/field",
    "/languages/0", "/languages/1", "/languages/2", "/grades/0", "/grades/1", "/grades/0/grade",
]
DISCLOSE_POINTERS = ["/given_name", "/degree/name", "/languages/1", "/grades/0"]
# The same selection in the reference implementation's "claims to disclose" form.
CLAIMS_TO_DISCLOSE = {
    "given_name": True,
    "degree": {"name": True},
    "languages": [False, True, False],
    "grades": [{"grade": True}, False],
}
EXPECTED_DISCLOSED = {
    "iss": ISS,
    "given_name": "Hanako",
    "degree": {"type": "MasterDegree", "name": "MSc Informatics"},
    "languages": ["en"],
    "grades": [{"course": "Cryptography", "grade": "A"}],
    "nationalities": ["JP"],
}


def without_envelope(payload):
    return {k: v for k, v in payload.items() if k not in ("iat", "cnf", "vct")}


class Key:
    """A fresh key: ES256 (P-256), ES384 (P-384) or EdDSA (Ed25519), with JWK files for the CLI."""

    def __init__(self, tmp: Path, name: str, alg: str = "ES256"):
        self.alg = alg
        if alg == "EdDSA":
            self.jwk = JWK.generate(kty="OKP", crv="Ed25519")
        else:
            self.jwk = JWK.generate(kty="EC", crv="P-384" if alg == "ES384" else "P-256")
        self.priv = self.jwk.export_private(as_dict=True)
        self.pub = self.jwk.export_public(as_dict=True)
        self.priv_file = tmp / f"{name}.jwk"
        self.pub_file = tmp / f"{name}.pub.jwk"
        self.priv_file.write_text(json.dumps(self.priv))
        self.pub_file.write_text(json.dumps(self.pub))

    @property
    def public_jwk(self):
        return JWK.from_json(json.dumps(self.pub))


class Kakehashi:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.n = 0

    def file(self, name, content):
        self.n += 1
        p = self.tmp / f"{self.n}-{name}"
        p.write_text(content if isinstance(content, str) else json.dumps(content))
        return str(p)

    def run(self, *args, check=False):
        r = subprocess.run([KAKEHASHI, *map(str, args)], capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"kakehashi {' '.join(map(str, args))} failed ({r.returncode}): {r.stderr}")
        return r

    def issue(self, issuer, holder, *extra):
        sd = [a for p in SD_POINTERS for a in ("--sd", p)]
        return self.run(
            "sd-jwt", "issue", "--issuer-key", issuer.priv_file, "--claims", self.file("claims.json", CLAIMS),
            "--vct", VCT, "--holder-key", holder.pub_file, "--decoys", "2", *sd, *extra, check=True,
        ).stdout.strip()

    def present(self, issued, issuer, holder, pointers=DISCLOSE_POINTERS, nonce=NONCE, aud=AUD):
        disclose = [a for p in pointers for a in ("--disclose", p)]
        return self.run(
            "sd-jwt", "present", "--issuer-key", issuer.pub_file, "--holder-key", holder.priv_file,
            "--nonce", nonce, "--aud", aud, *disclose, self.file("issued.txt", issued), check=True,
        ).stdout.strip()

    def verify(self, presentation, issuer, *extra):
        return self.run("sd-jwt", "verify", "--issuer-key", issuer.pub_file, *extra, self.file("pres.txt", presentation))


@pytest.fixture(scope="session")
def tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("kakehashi-interop-py")


@pytest.fixture(scope="session")
def kakehashi(tmp):
    if not Path(KAKEHASHI).exists():
        pytest.fail(f"kakehashi binary not found at {KAKEHASHI} (set KAKEHASHI_BIN)")
    return Kakehashi(tmp)


@pytest.fixture(scope="session")
def issuer(tmp):
    return Key(tmp, "issuer")


@pytest.fixture(scope="session")
def holder(tmp):
    return Key(tmp, "holder")
