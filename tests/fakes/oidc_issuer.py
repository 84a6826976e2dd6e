#!/usr/bin/env python3
"""A fake OIDC issuer for tests: makes an RSA key pair and mints RS256 ID tokens the way
GitHub Actions / GitLab CI hand them to jobs.

  oidc_issuer.py keygen DIR                 -> DIR/issuer.key (private), DIR/issuer.pub
  oidc_issuer.py mint DIR [--aud A] [--iss I] [--sub S] [--ttl SECONDS] [--key OTHER.key]
                                            -> the JWT on stdout (negative --ttl: expired)
The fakes (aws_fake_credentials.py, google_sts_fake.py) verify these against issuer.pub.
"""
import argparse, base64, json, os, sys, time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("keygen")
    k.add_argument("dir")
    m = sub.add_parser("mint")
    m.add_argument("dir")
    m.add_argument("--aud", default="sts.amazonaws.com")
    m.add_argument("--iss", default="https://token.actions.githubusercontent.com")
    m.add_argument("--sub", default="repo:mlbox/example:ref:refs/heads/main")
    m.add_argument("--ttl", type=int, default=300)
    m.add_argument("--key", help="sign with this private key instead (a forged token)")
    args = ap.parse_args()
    if args.cmd == "keygen":
        os.makedirs(args.dir, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with open(os.path.join(args.dir, "issuer.key"), "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        with open(os.path.join(args.dir, "issuer.pub"), "wb") as f:
            f.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
        return
    with open(args.key or os.path.join(args.dir, "issuer.key"), "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "kid": "fake-issuer-1"}
    claims = {"iss": args.iss, "aud": args.aud, "sub": args.sub, "iat": now - 5,
              "nbf": now - 5, "exp": now + args.ttl, "repository": "mlbox/example"}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    sys.stdout.write(f"{signing_input}.{b64url(sig)}")  # no newline, as CI systems write it


if __name__ == "__main__":
    main()
