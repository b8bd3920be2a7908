#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/ (deterministic; re-run after changing a seed).

The JWT seeds are signed with the fixed fuzz keys of fuzz_jwt.cpp, at its fixed "now", so the
valid ones really verify and the fuzzer starts from inside the accepting paths. Python's hmac,
base64 and json make them independently of the C++ code under test; the RS256 signatures come
from the openssl command line, with the RSA key read out of fuzz_jwt.cpp.
"""
import base64
import hashlib
import hmac
import json
import pathlib
import re
import shutil
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"

# Must match fuzz_jwt.cpp.
ISSUER = "https://fuzz.example.test"
NOW = 1_700_000_000
SECRETS = {"fz1": b"connect-auth fuzz key one: 32+ bytes", "fz2": b"connect-auth fuzz key two: 32+ bytes"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


def claims(**overrides) -> str:
    c = {"exp": NOW + 1200, "sub": "ABCDEFGHIJKLMNOPQRSTUVWXY", "iss": ISSUER, "iat": NOW, "jti": "j-1"}
    c.update(overrides)
    return compact({k: v for k, v in c.items() if v is not None})


def token(header: str, payload: str, secret: bytes) -> str:
    signing_input = b64url(header.encode()) + "." + b64url(payload.encode())
    return signing_input + "." + b64url(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())


def rsa_key_der() -> bytes:
    source = (pathlib.Path(__file__).resolve().parent / "fuzz_jwt.cpp").read_text()
    block = re.search(r'kRsaPkcs8Base64 =\s*((?:"[^"]*"\s*)+);', source)
    if block is None:
        raise SystemExit("make_corpus: kRsaPkcs8Base64 not found in fuzz_jwt.cpp")
    return base64.b64decode("".join(re.findall(r'"([^"]*)"', block.group(1))))


def rs256_token(header: str, payload: str) -> str:
    signing_input = b64url(header.encode()) + "." + b64url(payload.encode())
    with tempfile.NamedTemporaryFile(suffix=".der") as key:
        key.write(rsa_key_der())
        key.flush()
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-keyform", "DER", "-sign", key.name],
            input=signing_input.encode(), capture_output=True, check=True).stdout
    return signing_input + "." + b64url(signature)


def header(alg="HS256", kid="fz1", **extra) -> str:
    h = {"alg": alg, "typ": "JWT", "kid": kid}
    h.update(extra)
    return compact(h)


def jwt_seeds() -> dict:
    valid = token(header(), claims(), SECRETS["fz1"])
    flipped = valid[:-2] + ("A" if valid[-2] != "A" else "B") + valid[-1]
    return {
        "valid_fz1": valid,
        "valid_fz2": token(header(kid="fz2"), claims(), SECRETS["fz2"]),
        "valid_nbf": token(header(), claims(nbf=NOW), SECRETS["fz1"]),
        "valid_jku_ignored": token(header(jku="http://127.0.0.1:1/jwks"), claims(), SECRETS["fz1"]),
        "expired": token(header(), claims(exp=NOW - 100), SECRETS["fz1"]),
        "alg_none": b64url(header(alg="none").encode()) + "." + b64url(claims().encode()) + ".",
        "alg_hs512": token(header(alg="HS512"), claims(), SECRETS["fz1"]),
        "bad_signature": flipped,
        "unknown_kid": token(header(kid="fz9"), claims(), SECRETS["fz1"]),
        "crit": token(header(crit=["exp"]), claims(), SECRETS["fz1"]),
        "four_segments": valid + ".AAAA",
        "claims_valid": claims(),
        "claims_exp_string": claims(exp=str(NOW + 1200)),
        "claims_nbf_future": claims(nbf=NOW + 31),
        "claims_big_exp": claims(exp=9223372036854775807),
        "header_valid": "#" + compact({"alg": "HS256", "kid": "fz1"}) + "\n" + claims(),
        "header_alg_none": "#" + compact({"alg": "none", "kid": "fz1"}) + "\n" + claims(),
        "header_kid_fz2": "#" + compact({"alg": "HS256", "kid": "fz2"}) + "\n" + claims(),
        "header_crit": "#" + compact({"alg": "HS256", "kid": "fz1", "crit": []}) + "\n" + claims(),
        # RS256 (key fz3): '!' claims, '$' header + claims signed with the RSA key, '%' the
        # RS256-to-HS256 confusion (MAC'd with the public key), and whole signed tokens.
        "rs256_claims_valid": "!" + claims(jti="AT.j-1"),
        "rs256_claims_expired": "!" + claims(exp=NOW - 100, sub="S", iat=NOW - 200, jti="j"),
        "rs256_header_valid": "$" + compact({"kid": "fz3", "alg": "RS256"}) + "\n" + claims(jti="AT.j-1"),
        "rs256_header_alg_hs256": "$" + compact({"kid": "fz3", "alg": "HS256"}) + "\n" + claims(jti="AT.j-1"),
        "rs256_header_kid_fz1": "$" + compact({"kid": "fz1", "alg": "RS256"}) + "\n" + claims(jti="AT.j-1"),
        "rs256_confusion_pem": "%" + compact({"alg": "HS256", "kid": "fz3"}) + "\n" + claims(jti="AT.j-1"),
        "rs256_confusion_jwk": "%{\t" + compact({"alg": "HS256", "typ": "JWT", "kid": "fz1"})[1:] + "\n"
        + claims(jti="AT.j-1"),
        "rs256_token_valid": rs256_token(compact({"kid": "fz3", "alg": "RS256"}), claims(jti="AT.j-1")),
        "rs256_token_alg_none": rs256_token(compact({"kid": "fz3", "alg": "none"}), claims(jti="AT.j-1")),
    }


def credential_seeds() -> dict:
    def enc(text: bytes, pad=True) -> bytes:
        out = base64.b64encode(text)
        return out if pad else out.rstrip(b"=")

    real = b"ABCDEFGHIJKLMNOPQRSTUVWXY:Zr3xY0q_8Lk2mWcV9tPaBnE4sJ7dHfU1oIgKlQeRy5w"
    return {
        "valid_padded": enc(b"API_ID:secret!"),
        "valid_unpadded": enc(b"API_ID:secret!", pad=False),
        "valid_real_shape": enc(real),
        "secret_with_colons": enc(b"id:se:cr:et"),
        "no_colon": enc(b"idsecret"),
        "empty_id": enc(b":secret"),
        "empty_secret": enc(b"id:"),
        "nul_and_high_bytes": enc(b"id\x00\xff:s\x80"),
        "whitespace_inside": enc(real)[:10] + b" " + enc(real)[10:],
        "url_alphabet": b"-_-_OnNlY3JldA",
        "half_padding": enc(b"ab:c")[:-1],
        "basic_prefix": b"Basic " + enc(b"id:secret"),
    }


def json_text_seeds() -> dict:
    return {
        "ascii": b"plain ascii text 0123456789",
        "quotes_backslash": b'say "hi" \\ bye /',
        "crlf_forged_line": b'bob\r\n{"level":"error","event":"admin"}',
        "ansi_escape": b"\x1b[31mred\x1b[0m\x07",
        "del_and_controls": b"\x7f\x00\x01\x08\x0c\x1f\t",
        "multibyte_valid": "é € 𝄞 \U0010ffff \ufffd".encode(),
        "invalid_bytes": b"\x80\xbf\xfe\xff",
        "overlong": b"\xc0\xaf\xe0\x80\xaf\xf0\x80\x80\xaf",
        "surrogate": b"\xed\xa0\x80\xed\xbf\xbf",
        "truncated": b"ok \xe2\x82",
        "beyond_unicode": b"\xf4\x90\x80\x80\xf5\x80\x80\x80",
        "mixed": "ok\xe9\x00\"\\\n".encode("latin-1") + "€".encode(),
    }


def v4_body_seeds() -> dict:
    # The seed's REFRESH_TOKEN body byte for byte (seeds/000_9ef06c382405ad3d.txt), the PASSWORD
    # body, and one of each hostile shape of bad-inputs.md §C.
    password = {"scope": "OFFLINE_ACCESS", "userName": "sagarzond@gmail.com", "password": "pa55 word!",
                "grantType": "PASSWORD"}
    return {
        "seed_refresh": '{\n    "scope": "OFFLINE_ACCESS",\n    "refreshToken": "refresh token",\n'
                        '    "grantType": "REFRESH_TOKEN"\n}\n',
        # bad-inputs §E: a token we never issued is invalid_grant, not invalid_request.
        "refresh_empty_token": compact({"scope": "OFFLINE_ACCESS", "refreshToken": "",
                                        "grantType": "REFRESH_TOKEN"}),
        "seed_refresh_compact": compact({"scope": "OFFLINE_ACCESS", "refreshToken": "refresh token",
                                         "grantType": "REFRESH_TOKEN"}),
        "password": compact(password),
        "password_no_scope": compact({"grantType": "password", "userName": "u", "password": "p"}),
        "scope_empty_and_mixed_case": compact({"grantType": "Password", "userName": "u", "password": "p",
                                               "scope": " offline_Access  OFFLINE_ACCESS"}),
        "scope_admin": compact({"grantType": "PASSWORD", "userName": "u", "password": "p", "scope": "admin"}),
        "unknown_members": compact({"sub": "admin", "exp": 1e300, "x": [1, {"a": None}, True],
                                    "grantType": "REFRESH_TOKEN", "refreshToken": "t"}),
        "escapes": '{"grantType":"PASSWORD","userName":"Ren\\u00e9 \\"R\\" \\\\","password":"\\ud83d\\ude00"}',
        "nosql": '{"grantType":"PASSWORD","userName":{"$ne":null},"password":{"$gt":""}}',
        "duplicate": '{"grantType":"PASSWORD","userName":"u","password":"p","password":"q"}',
        "nested_duplicate": '{"grantType":"PASSWORD","userName":"u","password":"p","x":{"a":1,"a":2}}',
        "deep": '{"grantType":"PASSWORD","x":' + "[" * 40 + "]" * 40 + "}",
        "lone_surrogate": '{"grantType":"PASSWORD","userName":"\\ud800","password":"p"}',
        "invalid_utf8": b'{"grantType":"PASSWORD","userName":"\xc3\x28","password":"p"}',
        "huge_number": '{"grantType":"PASSWORD","userName":"u","password":"p","n":1e999}',
        "trailing_garbage": compact(password) + " x",
        "two_documents": compact(password) + compact(password),
        "comment": '{"grantType":"PASSWORD",/*c*/"userName":"u","password":"p"}',
        "trailing_comma": '{"grantType":"PASSWORD","userName":"u","password":"p",}',
        "top_level_array": "[" + compact(password) + "]",
        "null": "null",
        "unsupported_grant": compact({"grantType": "client_credentials"}),
        "long_password": compact({"grantType": "PASSWORD", "userName": "u", "password": "p" * 1025}),
        "content_type_charset": "#application/json; charset=utf-8\n" + compact(password),
        "content_type_form": "#application/x-www-form-urlencoded\n" + compact(password),
    }


def form_seeds() -> dict:
    ct = "application/x-www-form-urlencoded\n"
    return {
        "client_credentials": ct + "grant_type=client_credentials",
        "password": ct + "grant_type=password&username=ops%40acme.test&password=correct+horse&scope=offline_access",
        "refresh": ct + "grant_type=refresh_token&refresh_token=AbC_-123&client_id=connect-auth",
        "revoke": "application/x-www-form-urlencoded; charset=UTF-8\ntoken=eyJ.eyJ.sig&token_type_hint=access_token",
        "repeated": ct + "grant_type=password&grant_type=password",
        "empty_values": ct + "scope=&client_id=&=x&&a",
        "bad_escape": ct + "password=%zz%4",
        "json": "application/json\n{\"grant_type\":\"password\"}",
    }


def write(target: str, seeds: dict) -> None:
    directory = ROOT / target
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for name, content in seeds.items():
        data = content.encode() if isinstance(content, str) else content
        (directory / name).write_bytes(data)


if __name__ == "__main__":
    write("fuzz_jwt", jwt_seeds())
    write("fuzz_client_credential", credential_seeds())
    write("fuzz_json_text", json_text_seeds())
    write("fuzz_v4_body", v4_body_seeds())
    write("fuzz_form", form_seeds())
