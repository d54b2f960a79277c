#!/bin/sh
# Regenerates the test issuer certificate used by tests/api.rs (x5c header tests).
# A self-signed P-256 certificate: the crate only reads the leaf key; trust is not evaluated.
set -e
cd "$(dirname "$0")"
openssl ecparam -name prime256v1 -genkey -noout -out issuer-p256.sec1.pem
openssl pkcs8 -topk8 -nocrypt -in issuer-p256.sec1.pem -outform DER -out issuer-p256.pkcs8.der
openssl req -new -x509 -key issuer-p256.sec1.pem -days 36500 -subj "/C=JP/O=Kakehashi Test University/CN=Kakehashi Test Issuer" -outform PEM -out issuer-p256.cert.pem
openssl x509 -in issuer-p256.cert.pem -outform DER -out issuer-p256.cert.der
rm issuer-p256.sec1.pem
