#!/usr/bin/env python3
"""Writes case.json next to every specification.yml under testdata/.

The vectors' inputs are YAML with a `!sd` tag marking selectively disclosable claims. The Rust
test runner has no YAML parser, so this committed generator turns each case's inputs into
JSON: the settings (keys, times, nonce, identifiers, with per-case `settings_override`), the
options (`key_binding`, `serialization_format`, `extra_header_parameters`,
`include_default_claims`, `add_decoy_claims`) and `sd_paths`, the claim paths carrying `!sd`
(array indices as integers). Re-run after updating the vectors; CI can diff the output.

    python3 crates/sd-jwt/testdata/gen_cases.py
"""
import json
import pathlib

import yaml


class SD:
    def __init__(self, value):
        self.value = value

    def __hash__(self):
        return hash(self.value)

    def __eq__(self, other):
        return isinstance(other, SD) and other.value == self.value


def sd_constructor(loader, node):
    if isinstance(node, yaml.ScalarNode):
        return SD(loader.construct_scalar(node))
    if isinstance(node, yaml.MappingNode):
        return SD(loader.construct_mapping(node, deep=True))
    return SD(loader.construct_sequence(node, deep=True))


yaml.SafeLoader.add_constructor("!sd", sd_constructor)


def sd_paths(value, path, out):
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, SD):
                out.append(path + [k.value])
                sd_paths(v, path + [k.value], out)
            else:
                sd_paths(v, path + [k], out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, SD):
                out.append(path + [i])
                sd_paths(v.value, path + [i], out)
            else:
                sd_paths(v, path + [i], out)
    elif isinstance(value, SD):
        sd_paths(value.value, path, out)


def plain(value):
    if isinstance(value, SD):
        return plain(value.value)
    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def main():
    root = pathlib.Path(__file__).parent
    for spec_path in sorted(root.glob("**/specification.yml")):
        settings = yaml.safe_load((spec_path.parent.parent / "settings.yml").read_text())
        spec = yaml.safe_load(spec_path.read_text())
        settings.update(spec.get("settings_override", {}))
        keys = settings["key_settings"]
        issuer_keys = keys.get("issuer_keys") or [keys["issuer_key"]]
        paths = []
        sd_paths(spec["user_claims"], [], paths)
        case = {
            "issuer_keys": issuer_keys,
            "holder_key": keys["holder_key"],
            "issuer": settings["identifiers"]["issuer"],
            "verifier": settings["identifiers"]["verifier"],
            "nonce": settings["key_binding_nonce"],
            "iat": settings["iat"],
            "exp": settings["exp"],
            "key_binding": bool(spec.get("key_binding", False)),
            "serialization_format": spec.get("serialization_format", "compact"),
            "extra_header_parameters": spec.get("extra_header_parameters") or {},
            "include_default_claims": spec.get("include_default_claims", True),
            "add_decoy_claims": spec.get("add_decoy_claims", False),
            "sd_paths": paths,
            "holder_disclosed_claims": plain(spec.get("holder_disclosed_claims")),
        }
        out = spec_path.parent / "case.json"
        out.write_text(json.dumps(case, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
