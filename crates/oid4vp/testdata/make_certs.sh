#!/bin/sh
# Regenerates the verifier's test key and self-signed certificates (run from this directory).
# verifier_key.p8.der: PKCS#8 P-256 key; verifier_cert.der: SAN dNSName verifier.example.org;
# other_cert.der: same key, SAN dNSName other.example.org (client id mismatch tests).
set -eu
openssl ecparam -name prime256v1 -genkey -noout -out key.pem
openssl pkcs8 -topk8 -nocrypt -in key.pem -outform DER -out verifier_key.p8.der
openssl req -new -x509 -key key.pem -days 36500 -subj "/CN=Kakehashi Test Verifier" \
  -addext "subjectAltName=DNS:verifier.example.org" -outform DER -out verifier_cert.der
openssl req -new -x509 -key key.pem -days 36500 -subj "/CN=Other Verifier" \
  -addext "subjectAltName=DNS:other.example.org" -outform DER -out other_cert.der
rm key.pem
